"""The team server's own enforcement of who may do what: group roles, grants and row-level security.

A council's PostgreSQL server holds one group role per qadesk role (``qadesk_auditor``, ``qadesk_moderator``,
``qadesk_qa_lead``, ``qadesk_psw``, ``qadesk_practitioner``, ``qadesk_administrator``; NOLOGIN), and a login
role per person, a member of the groups for the roles they hold.  PostgreSQL authenticates the person
(password, certificate, Kerberos: the council's choice in pg_hba.conf); qadesk keeps no password of its own.

The services enforce qadesk.core.permissions first, in words; the grants here back them, so another program
using a person's login can do no more than the table allows:

- everyone reads the tables (a practitioner only the audits of their own work, by row-level security, and
  with them only those audits' answers, judgements, actions, moderations and history);
- the history is append-only for every login: INSERT, never UPDATE or DELETE (only the database's owner
  could rewrite it, and ``history verify`` would then say so);
- a template's retirement (UPDATE of template_versions), programmes, samples, allocations and the case list
  are written only by a QA lead (and the administrator); moderation choices by a QA lead or the PSW;
- audits and what hangs from them are written by the audit and moderation roles; a practitioner may update
  only the response column (and the revision and time of change that come with it) of their own audits;
- the people list is written only by the administrator.

A template travelling inside a pack (or a laptop's store being taken in) is stored by whoever imports the
pack, so INSERT on template_versions goes with importing packs; importing a template file stays a QA lead's,
in the services.

:func:`setup` is idempotent: run it again after every upgrade (``qadesk server setup-roles``; an upgrade of a
server whose groups exist runs it itself), so tables a migration adds get their grants.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import Connection, text

from qadesk.core.permissions import Role

PREFIX = "qadesk_"
STAFF = (Role.AUDITOR, Role.MODERATOR, Role.QA_LEAD, Role.PSW, Role.ADMINISTRATOR)
AUDIT_WORK = (Role.AUDITOR, Role.MODERATOR, Role.QA_LEAD, Role.PSW, Role.ADMINISTRATOR)

# Table -> the roles that may INSERT, UPDATE and DELETE its rows (every role may SELECT; RLS narrows).
WRITERS: dict[str, tuple[Role, ...]] = {
    "settings": tuple(Role),  # profiles, counters
    "audits": AUDIT_WORK,
    "answers": AUDIT_WORK,
    "section_judgements": AUDIT_WORK,
    "actions": AUDIT_WORK,
    "moderations": AUDIT_WORK,
    "moderation_sections": AUDIT_WORK,
    "moderation_notes": AUDIT_WORK,
    "blind_judgements": AUDIT_WORK,
    "conflicts": AUDIT_WORK,
    "sync_bases": AUDIT_WORK,
    "pack_mappings": AUDIT_WORK,
    "imported_packs": AUDIT_WORK,
    "case_people": AUDIT_WORK,
    "calibration_ratings": AUDIT_WORK,
    "calibration_exercises": (Role.QA_LEAD, Role.PSW, Role.ADMINISTRATOR),
    "moderation_choices": (Role.QA_LEAD, Role.PSW, Role.ADMINISTRATOR),
    "indicators": (Role.QA_LEAD, Role.PSW, Role.ADMINISTRATOR),
    "programmes": (Role.QA_LEAD, Role.ADMINISTRATOR),
    "programme_samples": (Role.QA_LEAD, Role.ADMINISTRATOR),
    "assignments": (Role.QA_LEAD, Role.ADMINISTRATOR),
    "cases": (Role.QA_LEAD, Role.ADMINISTRATOR),
    "case_list_mappings": (Role.QA_LEAD, Role.ADMINISTRATOR),
    "template_versions": (Role.QA_LEAD, Role.ADMINISTRATOR),
    "people": (Role.ADMINISTRATOR,),
}
# Stored with a pack's audits: whoever imports packs inserts the template version the audits were made with.
TEMPLATE_INSERTERS = (Role.AUDITOR, Role.MODERATOR, Role.PSW)
# What a practitioner's response changes in the audit's row.
RESPONSE_COLUMNS = ("practitioner_reflection", "revision", "updated_at")

# Row-level security: the tables a practitioner reads only for their own audits, and how a row names its audit.
BY_AUDIT = {
    "answers": "audit_id", "section_judgements": "audit_id", "actions": "audit_id", "moderations": "audit_id",
    "blind_judgements": "audit_id", "assignments": "audit_id", "moderation_choices": "audit_id",
    "conflicts": "audit_id", "sync_bases": "audit_id",
}
BY_MODERATION = ("moderation_sections", "moderation_notes")


def group(role: Role) -> str:
    return PREFIX + role.value


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _groups(roles: Iterable[Role]) -> str:
    return ", ".join(group(r) for r in roles)


def groups_exist(conn: Connection) -> bool:
    """Whether this server has qadesk's group roles (setup has run on the cluster)."""
    n = conn.execute(text("SELECT count(*) FROM pg_roles WHERE rolname = ANY(:names)"),
                     {"names": [group(r) for r in Role]}).scalar()
    return int(n or 0) == len(Role)


def _tables(conn: Connection) -> set[str]:
    return set(conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")).scalars())


def setup(conn: Connection) -> list[str]:
    """Create the group roles (where missing) and apply the grants and row-level security to this database's
    tables; returns the statements run.  Needs a login that may create roles and owns the tables (the
    database's owner with CREATEROLE, or a superuser)."""
    done: list[str] = []

    def run(sql: str) -> None:
        conn.execute(text(sql))
        done.append(sql)

    for role in Role:
        run(f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{group(role)}') THEN "
            f"CREATE ROLE {group(role)} NOLOGIN; END IF; END $$")
    every = _groups(Role)
    tables = _tables(conn)
    schema = _ident(_schema(conn))
    run(f"GRANT USAGE ON SCHEMA {schema} TO {every}")
    run(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {every}")
    run(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {every}")
    run(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {every}")
    if "history" in tables:
        run(f"GRANT INSERT ON history TO {every}")
    for table, writers in WRITERS.items():
        if table in tables:
            run(f"GRANT INSERT, UPDATE, DELETE ON {table} TO {_groups(writers)}")
    if "template_versions" in tables:
        run(f"GRANT INSERT ON template_versions TO {_groups(TEMPLATE_INSERTERS)}")
    if "audits" in tables:
        run(f"GRANT UPDATE ({', '.join(RESPONSE_COLUMNS)}) ON audits TO {group(Role.PRACTITIONER)}")
    if {"audits", "people", "history"} <= tables:
        _row_security(run, tables)
    return done


def _schema(conn: Connection) -> str:
    return str(conn.execute(text("SELECT current_schema()")).scalar())


def _row_security(execute: Callable[[str], None], tables: set[str]) -> None:
    staff, pr = _groups(STAFF), group(Role.PRACTITIONER)
    execute("CREATE OR REPLACE FUNCTION qadesk_person_name() RETURNS text LANGUAGE sql STABLE AS "
            "$$ SELECT name FROM people WHERE login = current_user LIMIT 1 $$")
    # The chain's newest entry (its seq and hash only), whatever the reader may see: every writer chains onto
    # it (store/history.py), a practitioner too, without reading the entry itself.
    execute("CREATE OR REPLACE FUNCTION qadesk_history_tip() RETURNS TABLE (seq bigint, hash text) LANGUAGE sql "
            "STABLE SECURITY DEFINER SET search_path = public, pg_temp AS "
            "$$ SELECT seq::bigint, hash::text FROM history ORDER BY seq DESC LIMIT 1 $$")
    execute("REVOKE ALL ON FUNCTION qadesk_history_tip() FROM PUBLIC")
    execute(f"GRANT EXECUTE ON FUNCTION qadesk_history_tip() TO {_groups(Role)}")

    def policies(table: str, own: str, *, write: str | None = None) -> None:
        execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        for name in ("qadesk_staff", "qadesk_own_work", "qadesk_own_work_write", "qadesk_append"):
            execute(f"DROP POLICY IF EXISTS {name} ON {table}")
        execute(f"CREATE POLICY qadesk_staff ON {table} TO {staff} USING (true) WITH CHECK (true)")
        execute(f"CREATE POLICY qadesk_own_work ON {table} FOR SELECT TO {pr} USING ({own})")
        if write:
            execute(f"CREATE POLICY qadesk_own_work_write ON {table} FOR {write} TO {pr} "
                    + (f"USING ({own}) WITH CHECK ({own})" if write == "UPDATE" else f"WITH CHECK ({own})"))

    policies("audits", "practitioner = qadesk_person_name()", write="UPDATE")
    for table, column in BY_AUDIT.items():
        if table in tables:
            policies(table, f"{column} IN (SELECT id FROM audits)")
    for table in BY_MODERATION:
        if table in tables:
            policies(table, "moderation_id IN (SELECT id FROM moderations)")
    policies("history", "audit_id IS NULL OR audit_id IN (SELECT id FROM audits)")
    execute(f"CREATE POLICY qadesk_append ON history FOR INSERT TO {pr} WITH CHECK (true)")


def add_login(conn: Connection, login: str, roles: Iterable[Role], *, password: str | None = None) -> None:
    """Create the person's login role if it is not there (with a password only if one is given: the
    council may authenticate otherwise), and make its group memberships exactly ``roles``."""
    exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": login}).first()
    if exists is None:
        conn.execute(text(f"CREATE ROLE {_ident(login)} LOGIN"))
    if password is not None:
        conn.execute(text(f"ALTER ROLE {_ident(login)} PASSWORD " + _literal(password)))
    wanted = set(roles)
    for role in Role:
        if role in wanted:
            conn.execute(text(f"GRANT {group(role)} TO {_ident(login)}"))
        else:
            conn.execute(text(f"REVOKE {group(role)} FROM {_ident(login)}"))


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def roles_of(conn: Connection, login: str) -> frozenset[Role]:
    """The qadesk roles a login holds on this server (its group memberships)."""
    held = set(conn.execute(text(
        "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
        "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = :n"), {"n": login}).scalars())
    return frozenset(r for r in Role if group(r) in held)
