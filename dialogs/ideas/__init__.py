"""The idea box and デジタル改善ポスト: submit (dialog, feedback dialog, "turn this message into an idea"), see
similar ideas first, vote, comment, review, answer, and tell the submitter what happened — anonymous ones too.

One feature in parts, each a mixin of `IdeasBase`: `submitting` (staff), `channel` (the idea channel and Monday's
digest), `reviewing` (reviewers and moderators, the export) and `calls` (themed calls).
Timed work: `ideas.post` puts a new idea's card into its idea channel, `ideas.notify` tells a submitter of a
review, `ideas.digest` is Monday's digest of an idea channel, `ideas.call_close` closes a themed call at its
deadline, `ideas.poll_result` brings a shortlist poll's result back to its ideas.
"""

from __future__ import annotations

from dialogs.ideas.base import CALL_CLOSE, DIGEST, NOTIFY, POLL_RESULT, POST, IdeaSettings
from dialogs.ideas.calls import Calls
from dialogs.ideas.channel import IdeaChannel
from dialogs.ideas.reviewing import Reviewing
from dialogs.ideas.submitting import Submitting

__all__ = ["CALL_CLOSE", "DIGEST", "NOTIFY", "POLL_RESULT", "POST", "IdeaSettings", "Ideas"]


class Ideas(Submitting, IdeaChannel, Reviewing, Calls):
    async def start_up(self) -> None:
        """Re-plan from the tables: every idea channel's digest, every open call's closing."""
        now = self.ctx.clock.now()
        for scope, _, _ in await self.service.channels():
            await self.ctx.timed.ensure(DIGEST, scope, self.next_digest(now))
        for call in await self.service.open_calls():
            await self.ctx.timed.ensure(CALL_CLOSE, call.call_id, call.deadline)
