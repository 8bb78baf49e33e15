"""The ``makker`` command: serve, migrate, create-key (and the jobs)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

cli = typer.Typer(
    help="Makker: volunteer-newcomer matching.", no_args_is_help=True, add_completion=False
)


def _database_url() -> str:
    # Imported here: pydantic-settings costs a fifth of a second that `makker solve` skips.
    from app.config import get_settings

    return get_settings().database_url


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", envvar="PORT")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, help="Worker processes (one per core uses them all).")
    ] = 1,
) -> None:
    """Serve the API with uvicorn."""
    import uvicorn

    from app.main import create_app

    if workers == 1:
        uvicorn.run(create_app(), host=host, port=port, access_log=False, log_config=None)
        return
    # Several processes need the app by name: each worker builds its own (and its own pool).
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        access_log=False,
        log_config=None,
    )


@cli.command()
def migrate() -> None:
    """Migrate the database (MAKKER_DATABASE_URL) to the newest schema."""
    from app.migrate import upgrade

    upgrade(_database_url())
    typer.echo("Database migrated to head.", err=True)


@cli.command("create-key")
def create_key(
    role: Annotated[str, typer.Option(help="admin, coordinator or association.")],
    name: Annotated[str, typer.Option(help="Who or what the key is for.")],
    association_id: Annotated[int | None, typer.Option(help="For an association key.")] = None,
    municipality: Annotated[
        list[str] | None, typer.Option(help="For a coordinator key; repeatable.")
    ] = None,
) -> None:
    """Create an API key and print it alone on standard output (shown only once)."""
    from app.api_keys.service import create_key_from_cli
    from app.errors import AppError

    try:
        key = create_key_from_cli(
            _database_url(),
            role=role,
            name=name,
            association_id=association_id,
            municipalities=municipality or [],
        )
    except (AppError, ValueError) as exc:
        typer.echo(f"create-key: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(key)


@cli.command()
def solve(
    problem: Annotated[str, typer.Argument(help="Problem JSON file (shared/design/MATCHING.md).")],
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Write the Solution JSON here.")
    ] = None,
) -> None:
    """Solve a problem file exactly; Solution JSON on stdout, a summary on stderr."""
    from matching.io import run_solve

    raise typer.Exit(run_solve(problem, output))


@cli.command()
def purge(
    ended_before: Annotated[
        datetime,
        typer.Option(
            "--ended-before",
            formats=["%Y-%m-%d"],
            help="Retention cut-off date (YYYY-MM-DD, not in the future).",
        ),
    ],
    dry_run: Annotated[bool, typer.Option(help="Count only; delete nothing.")] = False,
) -> None:
    """Delete records past retention, in one transaction, and print the counts.

    Deleted:
    - matches ended, rejected or superseded before DATE;
    - inactive newcomers and mentors, unchanged since before DATE, whose every match closed
    before it (with their matches, unmatched-request rows and stored create answers);
    - unmatched-request rows of runs started before DATE, except the latest applied run's;
    - Idempotency-Key answers stored before DATE.

    Kept: open matches, active people, runs (anonymous counts), the audit log.
    """
    from app.gdpr.service import run_purge

    if ended_before.date() > datetime.now(UTC).date():
        typer.echo("--ended-before must not be in the future", err=True)
        raise typer.Exit(2)
    counts = run_purge(_database_url(), ended_before.date(), dry_run=dry_run)
    for line in counts.lines():
        typer.echo(line)
    typer.echo("Dry run: nothing deleted." if dry_run else "Purged.", err=True)


@cli.command()
def rematch(
    dry_run: Annotated[bool, typer.Option(help="Compute and report; write no proposals.")] = False,
    pause_at: Annotated[str | None, typer.Option(hidden=True)] = None,
) -> None:
    """Run the matcher over the stored data (the nightly job); one progress line per phase.

    Exit status 0 on success, 1 when the run failed, 3 when another run is in progress.
    """
    from app.jobs.command import run_rematch_command

    raise typer.Exit(run_rematch_command(_database_url(), dry_run=dry_run, pause_at=pause_at))


@cli.command("seed-demo")
def seed_demo(
    newcomers: Annotated[int, typer.Option(min=0, help="Newcomers to add.")] = 400,
    mentors: Annotated[int, typer.Option(min=0, help="Mentors to add.")] = 250,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed, the same people.")] = 0,
) -> None:
    """Add a synthetic, clearly fake data set (benchmark distributions, common names)."""
    from app.demo.up import NotMigrated, run_seed

    try:
        counts = run_seed(_database_url(), newcomers=newcomers, mentors=mentors, seed=seed)
    except NotMigrated as exc:
        typer.echo(f"seed-demo: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(
        f"Seeded {counts.newcomers} newcomers, {counts.mentors} mentors, "
        f"{counts.associations} new associations.",
        err=True,
    )


@cli.command("demo-up")
def demo_up(
    newcomers: Annotated[int, typer.Option(min=0, help="Newcomers when seeding.")] = 400,
    mentors: Annotated[int, typer.Option(min=0, help="Mentors when seeding.")] = 250,
) -> None:
    """Migrate, seed the demo set when the database is empty, rematch, print an admin key.

    Progress goes to standard error; standard output gets one line, ``Admin key: <key>``.
    """
    from app.demo.up import demo_up as run_demo_up

    key = run_demo_up(_database_url(), newcomers=newcomers, mentors=mentors)
    typer.echo(f"Admin key: {key}")


def main() -> None:
    """Entry point of the ``makker`` console script."""
    cli()
