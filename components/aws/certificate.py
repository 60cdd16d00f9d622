"""The site's ACM certificate, validated by DNS: created beside the load balancer that serves it, not inside it.

ACM issues the certificate once the records it asks for (a CNAME per name) are in the domain's DNS, which is the
CDN's zone or a Route 53 zone: whatever writes them takes :func:`site_certificate`'s records and gives back their
names, which the load balancer's ``certificate_validation_fqdns`` waits for (``LoadBalancerArgs``). So the engine
creates the certificate, then the records, then waits for the certificate to be issued, then serves it on :443.

The certificate and its records were the load balancer's children (``<lb>-certificate``, ``<lb>-certificate-<label>``)
when the load balancer wrote them through a callback: the certificate keeps its name and answers to its old URN
through an alias, and each record carries an alias of its own old URN, so that nothing is re-issued or rewritten.
"""

from collections.abc import Callable, Sequence

import pulumi
import pulumi_aws as aws

from ..edge_common import ValidationRecord
from .load_balancer import LOAD_BALANCER_TYPE

#: What writes a certificate's validation records to the domain's DNS and returns their names.
ValidationWriter = Callable[[Sequence[ValidationRecord]], Sequence[pulumi.Input[str]]]


def site_certificate(
    load_balancer: str, domain: str, opts: pulumi.ResourceOptions | None = None
) -> tuple[aws.acm.Certificate, list[ValidationRecord]]:
    """A DNS-validated certificate for ``domain`` and www, named ``<load_balancer>-certificate``, and the records ACM
    checks (labels ``apex`` and ``www``)."""
    old_parent = pulumi.create_urn(load_balancer, LOAD_BALANCER_TYPE)
    names = [domain, f"www.{domain}"]
    certificate = aws.acm.Certificate(
        f"{load_balancer}-certificate",
        domain_name=domain,
        subject_alternative_names=names[1:],
        validation_method="DNS",
        key_algorithm="RSA_2048",
        options=aws.acm.CertificateOptionsArgs(certificate_transparency_logging_preference="ENABLED"),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=[pulumi.Alias(parent=old_parent)])),
    )
    records = []
    for label, name in zip(("apex", "www"), names, strict=True):
        option = certificate.domain_validation_options.apply(
            lambda options, name=name: next(o for o in options if o.domain_name == name)
        )
        records.append(
            ValidationRecord(
                label=label,
                name=option.apply(lambda o: o.resource_record_name or ""),
                type=option.apply(lambda o: o.resource_record_type or "CNAME"),
                content=option.apply(lambda o: o.resource_record_value or ""),
                # Where the record lived before it had a component of its own.
                aliases=[pulumi.Alias(name=f"{load_balancer}-certificate-{label}", parent=old_parent)],
            )
        )
    return certificate, records


def validated_certificate(
    load_balancer: str, domain: str, write: ValidationWriter, opts: pulumi.ResourceOptions | None = None
) -> tuple[pulumi.Output[str], list[pulumi.Input[str]]]:
    """:func:`site_certificate`'s ARN and the names of its records as ``write`` wrote them: a load balancer's
    ``certificate_arn`` and ``certificate_validation_fqdns``."""
    certificate, records = site_certificate(load_balancer, domain, opts)
    return certificate.arn, list(write(records))
