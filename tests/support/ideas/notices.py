"""What the ideas tell people: a new idea in a process they follow."""

from __future__ import annotations

from typing import Any

from civic.db import db
from civic.notifications.registry import Followers, Kind, Notice
from civic.spaces.models import Process
from tests.support.ideas.models import Idea
from tests.support.ideas.resource import IDEA

KINDS = (Kind("new_idea", "New ideas in processes you follow", "{actor} shared the idea “{title}”",
              email_default="never", group="Things you follow", position=99),)


def _published(idea: Idea, actor_id: int | None = None, **_: Any) -> Notice | None:
    process = db.session.get(Process, idea.process_id)
    return Notice(key=f"idea:{idea.id}:published", title=idea.title, url=IDEA.url(idea), actor_id=actor_id,
                  space=process.title, resource=("idea", idea.id), subject=("idea", idea.id),
                  audiences=[Followers("new_idea", "process", idea.process_id)])


BUILDERS = {"idea.published": _published}
