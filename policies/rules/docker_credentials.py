"""Docker credential rules: no credential travels in plain text, none is a default, and secret files stay private.

Messages never repeat an environment value, a command-line credential or a file's content.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from ._common import pattern_setting, schema, setting
from ._docker import container_props, upload_text
from ._props import (
    UNKNOWN,
    as_text,
    is_true,
    list_items,
    name_words,
    prop,
    unknown_message,
)
from .credentials import DEFAULT_CREDENTIAL_NAME_PATTERN, DEFAULT_DENY_LIST, NOT_CREDENTIALS, REFERENCE_WORDS

# -- docker-no-default-credentials -------------------------------------------------------------------------------------
#: Variables that name an account (not a credential) whose well-known default must not be used.
DEFAULT_USER_VARIABLES = {
    "GF_SECURITY_ADMIN_USER": ["admin"],
    "MINIO_ROOT_USER": ["minioadmin"],
    "RABBITMQ_DEFAULT_USER": ["guest"],
}


#: Settings that let clients in without any password: the values that do (empty: any non-empty value does, as the
#: mysql and mariadb images read these variables).
PASSWORDLESS: Mapping[str, frozenset[str]] = {
    "MYSQL_ALLOW_EMPTY_PASSWORD": frozenset(),
    "MARIADB_ALLOW_EMPTY_ROOT_PASSWORD": frozenset(),
    "MARIADB_ALLOW_EMPTY_PASSWORD": frozenset(),
    "ALLOW_EMPTY_PASSWORD": frozenset({"yes", "true", "1"}),
    "POSTGRES_HOST_AUTH_METHOD": frozenset({"trust"}),
}


#: Well-known credential variables whose names the word pattern does not split (``PGPASSWORD``).
CREDENTIAL_VARIABLES = frozenset({"PGPASSWORD", "MYSQL_PWD", "REDISCLI_AUTH"})


#: Command-line options whose value is a credential.
DEFAULT_CREDENTIAL_FLAGS = ["--requirepass", "--masterauth", "--password", "--passwd", "--token", "--secret"]


#: Programs whose ``-a <password>`` (redis-cli) or ``-p<password>`` (MySQL clients) takes a credential.
_SHORT_PASSWORD_OPTIONS = {
    "redis-cli": "-a",
    "mysql": "-p",
    "mysqladmin": "-p",
    "mysqldump": "-p",
    "mariadb": "-p",
    "mariadb-admin": "-p",
    "mariadb-dump": "-p",
}


#: Uploaded file paths that hold secrets.
DEFAULT_SECRET_FILE_PATTERN = (
    r"(^|/)(run/)?secrets?/|password|passwd|secret|token|credential|htpasswd|private|(\.|_|-)key$|\.(p12|pfx|env)$"
)


#: ``key = value`` / ``key: value`` / ``key value`` lines of configuration files whose key names a credential.
_CONFIG_CREDENTIAL = re.compile(
    r"^\s*[\w.-]*(?:pass|passwd|password|requirepass|masterauth|secret|token)[\w.-]*\s*(?:[=:]|\s)\s*"
    r"[\"']?([^\"'\s#;]+)",
    re.IGNORECASE | re.MULTILINE,
)


#: An environment assignment inside a shell command (``PGPASSWORD=... psql``).
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


#: Every setting of the docker credential rules; each rule declares those it reads.
_CREDENTIAL_SETTINGS: dict[str, dict[str, Any]] = {
    "passwordDenyList": {
        "type": "array",
        "items": {"type": "string"},
        "default": DEFAULT_DENY_LIST,
        "description": "Known default and weak passwords (the same list as aws-no-default-passwords), compared "
        "case-insensitively with credential values in environment variables, command lines and uploaded files.",
    },
    "credentialNamePattern": {
        "type": "string",
        "default": DEFAULT_CREDENTIAL_NAME_PATTERN,
        "description": "A regular expression (matched case-insensitively, with camelCase split into _-separated "
        "words) for environment variable names that hold credentials: any literal value fails, unless the last "
        "word names a file (FILE, PATH: an absolute path) or a reference (ARN, ID, NAME, URL, ...).",
    },
    "defaultUsers": {
        "type": "object",
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
        "default": DEFAULT_USER_VARIABLES,
        "description": "Environment variables naming an administrator account, and the well-known default "
        "user names (compared case-insensitively) they must not be set to.",
    },
    "credentialFlags": {
        "type": "array",
        "items": {"type": "string"},
        "default": DEFAULT_CREDENTIAL_FLAGS,
        "description": "Command-line options (in command, entrypoints and healthcheck tests) whose value is a "
        "credential; a literal value fails, a shell expansion ($VAR, $(cat /run/secrets/...)) does not.",
    },
    "secretFilePattern": {
        "type": "string",
        "default": DEFAULT_SECRET_FILE_PATTERN,
        "description": "A regular expression (case-insensitive, searched in the path) for uploaded files that "
        "hold secrets: they must not be readable by other users.",
    },
}
_DOCKER_CREDENTIALS_SCHEMA = schema(_CREDENTIAL_SETTINGS)


def _schema_of(*keys: str) -> PolicyConfigSchema:
    return schema({key: _CREDENTIAL_SETTINGS[key] for key in keys})


_DEFAULTS_SCHEMA = _schema_of("passwordDenyList", "credentialNamePattern", "defaultUsers", "credentialFlags")
_PLAINTEXT_SCHEMA = _schema_of("passwordDenyList", "credentialNamePattern", "credentialFlags")
_FILES_SCHEMA = _schema_of("secretFilePattern")


#: What a problem is about, so that each rule reports its own: a known default, a credential in plain text, or a
#: secret file other users can read.
DEFAULT, PLAINTEXT, FILE_MODE = "default", "plaintext", "file-mode"
#: A problem found: its kind and its message.
Problem = tuple[str, str]
#: Values unknown during preview, with the kinds of problem they could hide.
Pending = list[tuple[str, frozenset[str]]]
#: Environment values and command lines may hide defaults and plain-text credentials; uploads defaults and modes.
IN_VALUES = frozenset({DEFAULT, PLAINTEXT})
IN_UPLOADS = frozenset({DEFAULT, FILE_MODE})

FILE_FIX = (
    "upload the credential as a file from a Pulumi secret (ContainerSpec.uploads, mode 0440) and point the image at "
    "it (NAME_FILE=/run/secrets/...)"
)


#: The last word of a credential-named variable that names a file holding the credential.
FILE_WORDS = frozenset({"FILE", "PATH"})


@dataclass(frozen=True)
class _CredentialJudge:
    credential: re.Pattern[str]
    deny: frozenset[str]
    users: Mapping[str, frozenset[str]]
    flags: frozenset[str]
    secret_file: re.Pattern[str]

    def default(self, text: str) -> bool:
        return text.strip().casefold() in self.deny

    def assignment(self, subject: str, name: str, value: str) -> list[Problem]:
        """What is wrong with ``name=value`` (an environment entry, or an assignment in a shell command)."""
        problems: list[Problem] = []
        url = _url_credentials(value, self.default)
        if url:
            kind = DEFAULT if url == "a known default password" else PLAINTEXT
            problems.append(
                (kind, f"{subject} is a URL that carries {url}: {FILE_FIX}, or build the URL inside the container")
            )
        words = name_words(name)
        last = words.upper().rsplit("_", 1)[-1]
        defaults = self.users.get(name.upper())
        if defaults and value.strip().casefold() in defaults:
            problems.append(
                (
                    DEFAULT,
                    f"{subject} is the well-known default user name '{value.strip()}', the first one attackers try: "
                    "choose a name of your own",
                )
            )
        passwordless = PASSWORDLESS.get(name.upper())
        if passwordless is not None and value.strip() and (not passwordless or value.strip().lower() in passwordless):
            problems.append(
                (DEFAULT, f"{subject} lets clients in without a password: remove it and set a generated password")
            )
            return problems
        if not value.strip() or not (self.credential.search(words) or name.upper() in CREDENTIAL_VARIABLES):
            return problems
        if last in FILE_WORDS:
            if self.default(value):
                problems.append(
                    (DEFAULT, f"{subject} is set to a known default password instead of a file path: {FILE_FIX}")
                )
            elif not value.strip().startswith("/"):
                problems.append(
                    (PLAINTEXT, f"{subject} should name a file (an absolute path), not hold the credential: {FILE_FIX}")
                )
            return problems
        if self.default(value):
            problems.append((DEFAULT, f"{subject} is set to a known default or weak password: {FILE_FIX}"))
        elif last not in REFERENCE_WORDS and value.strip().lower() not in NOT_CREDENTIALS and not url:
            problems.append(
                (
                    PLAINTEXT,
                    f"{subject} holds a credential in plain text, which anyone who can run docker inspect (or read the "
                    f"Pulumi state) can read: {FILE_FIX}",
                )
            )
        return problems


def _url_credentials(text: str, default: Callable[[str], bool]) -> str:
    """What a URL with ``user:password@`` carries (a known default password, or credentials); "" for other text."""
    if "://" not in text or "@" not in text:
        return ""
    try:
        password = urlsplit(text.strip()).password
    except ValueError:
        return ""
    if password is None:
        return ""
    return "a known default password" if default(unquote(password)) else "credentials (user:password@)"


def _envs(props: Mapping[str, Any], judge: _CredentialJudge, pending: Pending) -> list[Problem]:
    envs = prop(props, "envs")
    if envs is UNKNOWN:
        pending.append(("envs", IN_VALUES))
    problems: list[Problem] = []
    for index, entry in enumerate(list_items(envs)):
        if entry is UNKNOWN:
            pending.append((f"envs.{index}", IN_VALUES))
            continue
        name, sep, value = as_text(entry).partition("=")
        if sep:
            problems.extend(judge.assignment(f"The variable {name.strip()}", name.strip(), value))
    return problems


def _tokens(values: Sequence[Any]) -> list[Any]:
    """Command-line words: each element, and the words of elements that are shell commands (``sh -c "..."``,
    ``CMD-SHELL``); an unknown element stays :data:`UNKNOWN`."""
    words: list[Any] = []
    for value in values:
        if value is UNKNOWN:
            words.append(UNKNOWN)
            continue
        text = as_text(value)
        if any(c.isspace() for c in text):
            try:
                words.extend(shlex.split(text))
            except ValueError:
                words.extend(text.split())
        else:
            words.append(text)
    return words


def _is_expansion(value: str) -> bool:
    """A shell expansion (``$VAR``, ``${VAR}``, ``$(cat /run/secrets/x)``): the value is read at run time."""
    return value.startswith(("$", "`"))


def _command_line(field: str, values: Any, judge: _CredentialJudge, pending: Pending) -> list[Problem]:
    """Credentials passed as options or assignments in a command line. An unknown value right after a credential
    option is a credential on the command line whatever it is; any other unknown element goes to ``pending``."""
    if values is UNKNOWN:
        pending.append((field, IN_VALUES))
        return []
    elements = list_items(values)
    words = _tokens(elements)
    programs = {posixpath.basename(w) for w in words if w is not UNKNOWN}
    short = {option for program, option in _SHORT_PASSWORD_OPTIONS.items() if program in programs}
    found: list[Problem] = []
    after_option = False
    for index, word in enumerate(words):
        if word is UNKNOWN:
            if not after_option:
                pending.append((field, IN_VALUES))
            after_option = False
            continue
        option, sep, attached = word.partition("=")
        after_option = False
        if option.lower() in judge.flags or (option == "-a" and option in short):
            value = attached if sep else (words[index + 1] if index + 1 < len(words) else "")
            after_option = not sep
            if value is UNKNOWN or (value and not value.startswith("-") and not _is_expansion(value)):
                found.append(_option_problem(field, option, value, judge))
        elif "-p" in short and word.startswith("-p") and len(word) > 2 and not _is_expansion(word[2:]):
            found.append(_option_problem(field, "-p", word[2:], judge))
        elif _ASSIGNMENT.match(word):
            name, _, value = word.partition("=")
            if not _is_expansion(value):
                found.extend(judge.assignment(f"The assignment {name} in {field}", name, value))
    return [problem for index, problem in enumerate(found) if problem not in found[:index]]


def _option_problem(field: str, option: str, value: Any, judge: _CredentialJudge) -> Problem:
    default = value is not UNKNOWN and judge.default(str(value))
    what = "a known default password" if default else "a credential"
    return (
        DEFAULT if default else PLAINTEXT,
        f"{field} passes {what} with {option}, visible to anyone who can run docker inspect or ps: read it at run "
        'time from an uploaded file instead ("$(cat /run/secrets/...)", a config file with an include, or the '
        "program's *_FILE setting)",
    )


def _uploads(props: Mapping[str, Any], judge: _CredentialJudge, pending: Pending) -> list[Problem]:
    uploads = prop(props, "uploads")
    if uploads is UNKNOWN:
        pending.append(("uploads", IN_UPLOADS))
    problems: list[Problem] = []
    for index, upload in enumerate(list_items(uploads)):
        path = prop(upload, "file")
        if upload is UNKNOWN or path is UNKNOWN:
            pending.append((f"uploads.{index}", IN_UPLOADS))
            continue
        where = f"The uploaded file {as_text(path)}"
        content = upload_text(upload)
        if content is not None and (
            judge.default(content) or any(judge.default(m.group(1)) for m in _CONFIG_CREDENTIAL.finditer(content))
        ):
            problems.append(
                (
                    DEFAULT,
                    f"{where} holds a known default or weak password: generate it (pulumi_random.RandomPassword) and "
                    "pass it as a Pulumi secret",
                )
            )
        if not judge.secret_file.search(as_text(path)):
            continue
        permissions = prop(upload, "permissions")
        executable = prop(upload, "executable")
        if permissions is UNKNOWN:
            problems.append((FILE_MODE, unknown_message(f"uploads[{index}].permissions", '"0440" (or "0400")')))
        elif _readable_by_others(as_text(permissions)):
            mode = as_text(permissions) or ("0744" if is_true(executable) else "0644")
            problems.append(
                (
                    FILE_MODE,
                    f"{where} looks like a secret but is readable by every user in the container (mode {mode}): set "
                    'its permissions to "0440" (or "0400")',
                )
            )
    return problems


def _readable_by_others(mode: str) -> bool:
    """Whether an upload's mode lets other users read it (the provider's default is 0644, or 0744 if executable)."""
    if not mode:
        return True
    try:
        return bool(int(mode, 8) & 0o007)
    except ValueError:
        return True


def _credential_judge(args: Any) -> _CredentialJudge | str:
    """The configured judge, or what is wrong with the configuration."""
    patterns: dict[str, re.Pattern[str]] = {}
    for key in ("credentialNamePattern", "secretFilePattern"):
        pattern = pattern_setting(args, _DOCKER_CREDENTIALS_SCHEMA, key)
        if isinstance(pattern, str):
            return pattern
        patterns[key] = pattern
    users = setting(args, _DOCKER_CREDENTIALS_SCHEMA, "defaultUsers") or {}
    return _CredentialJudge(
        credential=patterns["credentialNamePattern"],
        deny=frozenset(
            str(p).strip().casefold() for p in setting(args, _DOCKER_CREDENTIALS_SCHEMA, "passwordDenyList")
        ),
        users={str(k).upper(): frozenset(str(v).strip().casefold() for v in vs) for k, vs in dict(users).items()},
        flags=frozenset(str(f).lower() for f in setting(args, _DOCKER_CREDENTIALS_SCHEMA, "credentialFlags")),
        secret_file=patterns["secretFilePattern"],
    )


def _credential_problems(args: ResourceValidationArgs, report: ReportViolation, kind: str) -> None:
    """Report the problems of ``kind`` in a container's environment values, command lines and uploaded files.

    Credentials reach a container only as uploaded files. What no rule can see: the analyzer hands resource rules
    secret values unwrapped, so whether an upload's content is a Pulumi secret (encrypted in the state) is invisible
    here; the rules check what is visible.

    An environment entry, argument or upload unknown during a preview is not a violation (its name is unknown too,
    and a seeded container always carries its seed's id): the rule reports what it could check, then lets the
    analyzer note that it cannot run during the preview; `pulumi up` checks the known values before creating the
    container. A credential option followed by an unknown value is a violation either way. An upload's content
    unknown during preview is a generated value, so it is not a default."""
    props = container_props(args)
    if props is None:
        return
    judge = _credential_judge(args)
    if isinstance(judge, str):
        report(judge, None)
        return
    pending: Pending = []
    health = prop(props, "healthcheck")
    problems = [
        *_envs(props, judge, pending),
        *_command_line("command", prop(props, "command"), judge, pending),
        *_command_line("entrypoints", prop(props, "entrypoints"), judge, pending),
        *_command_line("healthcheck.tests", UNKNOWN if health is UNKNOWN else prop(health, "tests"), judge, pending),
        *_uploads(props, judge, pending),
    ]
    for found, problem in problems:
        if found == kind:
            report(problem if problem.endswith(".") else f"{problem}.", None)
    fields = [field for field, kinds in pending if kind in kinds]
    if fields:
        # Environment values, arguments and files often come from other resources (a seed container's id, a
        # generated password): unknown during a preview, known when `pulumi up` checks the container again right
        # before creating it. The analyzer notes that this rule could not run during the preview; what was checkable
        # has been reported above.
        raise UnknownValueError(UNKNOWN_STRING_VALUE, fields[0].split("."))


def _no_default_credentials(args: ResourceValidationArgs, report: ReportViolation) -> None:
    _credential_problems(args, report, DEFAULT)


docker_no_default_credentials = ResourceValidationPolicy(
    name="docker-no-default-credentials",
    description="Checks that no Docker container uses a known default password (in environment values, command "
    "lines or uploaded files), a default admin user name or a passwordless switch.",
    validate=_no_default_credentials,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_DEFAULTS_SCHEMA,
    severity=Severity.CRITICAL,
    tags=["docker", "secrets", "checklist:no-default-passwords"],
    remediation_steps="Generate every password (pulumi_random.RandomPassword) and pass it as a Pulumi secret, choose "
    "admin user names of your own, and remove passwordless switches (MYSQL_ALLOW_EMPTY_PASSWORD, "
    "POSTGRES_HOST_AUTH_METHOD=trust).",
)


def _no_plaintext_credentials(args: ResourceValidationArgs, report: ReportViolation) -> None:
    _credential_problems(args, report, PLAINTEXT)


docker_no_plaintext_credentials = ResourceValidationPolicy(
    name="docker-no-plaintext-credentials",
    description="Checks that no Docker container takes a credential from an environment value, a command line or a "
    "URL with user:password (only `*_FILE` paths to uploaded files, or run-time expansions).",
    validate=_no_plaintext_credentials,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_PLAINTEXT_SCHEMA,
    severity=Severity.CRITICAL,
    tags=["docker", "secrets", "checklist:secrets"],
    remediation_steps="Upload every credential into the container as a file from the Pulumi secret "
    "(ContainerSpec.uploads, mode 0440) and point the image at it with its *_FILE variable (POSTGRES_PASSWORD_FILE, "
    "GF_SECURITY_ADMIN_PASSWORD__FILE, MINIO_ROOT_PASSWORD_FILE) or a config file (Redis requirepass in an uploaded "
    "redis.conf).",
)


def _secret_files_private(args: ResourceValidationArgs, report: ReportViolation) -> None:
    _credential_problems(args, report, FILE_MODE)


docker_secret_files_private = ResourceValidationPolicy(
    name="docker-secret-files-private",
    description="Checks that no secret-looking file uploaded into a Docker container (`secretFilePattern`) is "
    "readable by other users.",
    validate=_secret_files_private,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_FILES_SCHEMA,
    severity=Severity.HIGH,
    tags=["docker", "secrets", "checklist:secrets"],
    remediation_steps='Upload secret files with permissions "0440" (or "0400"), owned by the process that reads them '
    "(ContainerSpec.uploads).",
)

POLICIES = [docker_no_default_credentials, docker_no_plaintext_credentials, docker_secret_files_private]
