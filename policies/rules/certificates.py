"""Certificate rules: every ACM certificate is one ACM issues and renews, with a strong key, in the transparency logs.

Values unknown during a preview: the settings these rules read are written literally by the program, so an unknown
one is reported with the advice to set it directly; an unknown private key or certificate body still counts as set
(it is another resource's output, and the certificate is imported all the same).
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, Severity

from ._common import schema, setting
from ._props import UNKNOWN, as_text, is_set, prop, unknown_message

CERTIFICATE = "aws:acm/certificate:Certificate"
DNS = "DNS"
#: What ACM uses when ``key_algorithm`` is not set.
DEFAULT_KEY_ALGORITHM = "RSA_2048"

_SCHEMA = schema(
    {
        "allowedKeyAlgorithms": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1"],
            "description": "Key algorithms a certificate may use: RSA of 2048 bits or more, or an ECDSA curve of 256 "
            "bits or more (RSA_1024 is too weak). Not setting key_algorithm means RSA_2048.",
        },
    }
)

#: The imported certificate's material: ACM cannot renew what it did not issue.
_IMPORTED = (("privateKey", "private_key"), ("certificateBody", "certificate_body"))


def _issued(args: ResourceValidationArgs) -> bool:
    """Whether the resource is a certificate ACM issues; an imported one is marked not applicable (its key and its
    logging are its issuer's, and aws-acm-certificate-dns-validated reports the import)."""
    if args.resource_type != CERTIFICATE:
        return False
    if any(is_set(prop(args.props, key)) for key, _ in _IMPORTED):
        args.not_applicable("the certificate is imported: aws-acm-certificate-dns-validated reports it")
        return False
    return True


def _dns_validated(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != CERTIFICATE:
        return
    props = args.props
    imported = [name for key, name in _IMPORTED if is_set(prop(props, key))]
    if imported:
        report(
            f"The certificate is imported ({' and '.join(imported)} set): ACM cannot renew an imported certificate, "
            "so it expires unless someone replaces it by hand. Request it from ACM instead: domain_name, "
            'validation_method="DNS" and an aws.acm.CertificateValidation over the DNS records ACM asks for.',
            None,
        )
        return
    method = prop(props, "validationMethod")
    if method is UNKNOWN:
        report(unknown_message("validation_method", f'"{DNS}"'), None)
    elif as_text(method).upper() != DNS:
        current = f'"{as_text(method)}"' if as_text(method) else "not set"
        report(
            f'The certificate\'s validation method is {current}: set validation_method="{DNS}" and create the '
            "validation records, so that ACM renews the certificate by itself (e-mail validation needs someone to "
            "approve every renewal, and a missed mail lets the certificate expire).",
            None,
        )


acm_certificate_dns_validated = ResourceValidationPolicy(
    name="aws-acm-certificate-dns-validated",
    description="Checks that every ACM certificate is issued by ACM (not imported) and validated over DNS, so that "
    "ACM renews it by itself.",
    validate=_dns_validated,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=["acm", "encryption", "checklist:tls"],
    remediation_steps='Request the certificate from ACM with validation_method="DNS" and an '
    "aws.acm.CertificateValidation over the validation records (webstack's LoadBalancer component does this).",
)


def _strong_key(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not _issued(args):
        return
    allowed = [str(a) for a in setting(args, _SCHEMA, "allowedKeyAlgorithms")]
    algorithm = prop(args.props, "keyAlgorithm")
    if algorithm is UNKNOWN:
        report(
            unknown_message("key_algorithm", f"one of {', '.join(allowed)} (or left out: {DEFAULT_KEY_ALGORITHM})"),
            None,
        )
    elif as_text(algorithm) and as_text(algorithm) not in allowed:
        report(
            f"The certificate's key algorithm is {as_text(algorithm)}: use one of {', '.join(allowed)} (leaving "
            f"key_algorithm out means {DEFAULT_KEY_ALGORITHM}).",
            None,
        )


acm_certificate_strong_key = ResourceValidationPolicy(
    name="aws-acm-certificate-strong-key",
    description="Checks that every certificate ACM issues has an RSA key of 2048 bits or more or an ECDSA key of "
    "P-256 or more (`allowedKeyAlgorithms`).",
    validate=_strong_key,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_SCHEMA,
    severity=Severity.HIGH,
    tags=["acm", "encryption", "checklist:tls", "fsbp:ACM.2"],
    remediation_steps="Leave key_algorithm out of the aws.acm.Certificate (RSA_2048) or set it to a stronger one "
    "(RSA_3072, RSA_4096, EC_prime256v1, EC_secp384r1, EC_secp521r1); a new key algorithm replaces the certificate.",
)


def _transparency_logging(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not _issued(args):
        return
    options = prop(args.props, "options")
    preference = UNKNOWN if options is UNKNOWN else prop(options, "certificateTransparencyLoggingPreference")
    if preference is UNKNOWN:
        report(unknown_message("options.certificate_transparency_logging_preference", '"ENABLED"'), None)
    elif as_text(preference).upper() == "DISABLED":
        report(
            "The certificate opts out of certificate transparency logging: set "
            'options.certificate_transparency_logging_preference="ENABLED" (browsers distrust public certificates '
            "missing from the logs, and the logs are how a misissued certificate for the domain gets noticed).",
            None,
        )


acm_certificate_transparency_logging = ResourceValidationPolicy(
    name="aws-acm-certificate-transparency-logging",
    description="Checks that no certificate ACM issues opts out of certificate transparency logging.",
    validate=_transparency_logging,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["acm", "checklist:tls"],
    remediation_steps="Leave options.certificate_transparency_logging_preference out of the aws.acm.Certificate, or "
    'set it to "ENABLED".',
)

POLICIES = [acm_certificate_dns_validated, acm_certificate_strong_key, acm_certificate_transparency_logging]
