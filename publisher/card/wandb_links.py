"""W&B URLs built from ids, in the form every huggingtweets card uses (no wandb import needed).

wandb 0.31 reports run URLs on its new default host (forge.coreweave.com/wandb) and none at all offline, so
the cards build their links themselves from (app base, entity, project, run id); see docs/wandb.md A2.
"""

from __future__ import annotations

from urllib.parse import quote


def project_url(app_url: str, entity: str, project: str) -> str:
    """`{app}/{entity}/{project}`, as wandb's Settings._project_url_base."""
    return f"{app_url.rstrip('/')}/{quote(entity, safe='')}/{quote(project, safe='')}"


def run_url(app_url: str, entity: str, project: str, run_id: str) -> str:
    """`{app}/{entity}/{project}/runs/{id}`, as wandb's Settings.run_url."""
    return f"{project_url(app_url, entity, project)}/runs/{quote(run_id, safe='=+&$@')}"


def run_artifacts_url(app_url: str, entity: str, project: str, run_id: str) -> str:
    """The run's artifacts tab (a UI route the cards link to: "Explore the data", "the final model")."""
    return f"{run_url(app_url, entity, project, run_id)}/artifacts"
