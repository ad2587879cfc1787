"""An operator's override of a link's state: kept through every check until it is cleared.

One function for the CLI (`citewatch mark`, recorded as by "cli") and the dashboard (recorded
as by the signed-in user), so both record who and when the same way.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from config import CheckConfig
from health.evaluate import refresh_target
from models import Target
from models.kinds import LinkState

OVERRIDE_STATES = (LinkState.ALIVE, LinkState.DEAD)  # what an operator may mark a link


def override_state(
    session: Session,
    target: Target,
    state: LinkState | None,
    by: str,
    now: datetime,
    config: CheckConfig,
) -> None:
    """Mark a link alive or dead (`state`), or clear the mark (None: the state goes back to what
    the checks say); who and when are recorded either way."""
    if state is not None and state not in OVERRIDE_STATES:
        raise ValueError(f"a link can be marked {' or '.join(OVERRIDE_STATES)}, not {state}")
    target.override_by, target.override_at = by[:100], now
    if state is None:
        target.override = None
        refresh_target(session, target, now, config)
    else:
        target.override, target.state, target.state_since = state, state, now
