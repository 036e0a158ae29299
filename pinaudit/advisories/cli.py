"""``pinaudit advisories``: the explicit, opt-in way to fetch advisories.

``check`` never touches the network; this group is the one place that does,
and only when a user runs ``update``.  The main CLI registers it with
``main.add_command(advisories)``.  Exit codes: 0 done, 1 a local failure (the
cache folder cannot be written), 2 the network or the server failed.
"""

from __future__ import annotations

from pathlib import Path

import click

from pinaudit.advisories import CACHE_ENV, cache_directory, export_path, load_advisory_rules

NETWORK_FAILURE = 2
LOCAL_FAILURE = 1

_cache_option = click.option(
    "--cache-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help=f"Cache folder (default: ${CACHE_ENV}, else the user cache folder).",
)


@click.group("advisories")
def advisories() -> None:
    """Security advisories (OSV) checked alongside pinaudit's rules."""


@advisories.command("update")
@click.option(
    "--url",
    default=None,
    metavar="URL",
    help="Where to download the OSV export (default: the osv.dev PyPI export).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1.0),
    default=None,
    help="Seconds to wait for the server before giving up (default: 60).",
)
@_cache_option
@click.pass_context
def update(
    context: click.Context, url: str | None, timeout: float | None, cache_dir: Path | None
) -> None:
    """Download the osv.dev PyPI advisories into the cache and index them."""
    from pinaudit.advisories import fetch

    source = url or fetch.DEFAULT_URL
    target = export_path(cache_dir)
    click.echo(f"Downloading {source}", err=True)
    try:
        fetched = fetch.download(source, target, timeout=timeout or fetch.DEFAULT_TIMEOUT)
    except fetch.FetchError as error:
        click.echo(f"error: {error}", err=True)
        context.exit(NETWORK_FAILURE if error.network else LOCAL_FAILURE)
    if fetched.not_modified:
        click.echo(f"{fetched.path} is up to date ({fetched.members} advisories).")
    else:
        click.echo(f"Saved {fetched.members} advisories ({fetched.size} bytes) to {fetched.path}.")
    loaded = load_advisory_rules([fetched.path], cache_dir=cache_dir)
    click.echo(
        f"Indexed {len(loaded.rules)} advisory rules; "
        f"{len(loaded.problems)} records or parts could not be used."
    )


@advisories.command("path")
@click.option("--export", is_flag=True, help="Print the downloaded export's path instead.")
@_cache_option
def path(export: bool, cache_dir: Path | None) -> None:
    """Print where pinaudit keeps its cache (and the downloaded advisories)."""
    click.echo(str(export_path(cache_dir) if export else cache_directory(cache_dir)))
