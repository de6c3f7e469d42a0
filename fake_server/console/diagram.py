"""A workflow drawn as a diagram (SVG), from its definition's JSON and, for a run, its tasks.

Drawn as Conductor's UI draws one, top to bottom: a task is a box; a SWITCH opens a lane per
case and one for its default, each labelled, the case a run took marked; a FORK_JOIN opens a
lane per branch; a dynamic fork opens the lanes its run created (a dashed placeholder in a
definition); a DO_WHILE frames its body with the way back to its start and says the iteration
it is at; a SUB_WORKFLOW links to the run it started. In a run each box has its task's colour
and status, a failed one its reason, and links to the task's row on the workflow page.

Pure functions from JSON to SVG text (no engine, no HTTP): the server draws the diagram, so a
page shows it without JavaScript. Each task's box is a ``<g class="node" data-ref=...
data-status=...>``, which is how tests (and scripts) find them.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

from fake_server.console.pages import base_reference

NODE_WIDTH = 190
NODE_HEIGHT = 54
GAP_Y = 28  # between a box and the next (the arrow)
GAP_X = 22  # between lanes
LABEL_HEIGHT = 16  # a lane's label, above it
LOOP_PAD = 14  # inside a DO_WHILE's frame
MARGIN = 12
LINE_CHARACTERS = 28  # what fits on a line of a box
REASON_LINES = 3  # a failed task's box grows to show this many lines of its reason
REASON_LINE = 13

# (fill, stroke) per status; a task not run (yet) is white with a dashed grey border.
COLOURS = {
    "COMPLETED": ("#e6f4ea", "#2e7d32"),
    "COMPLETED_WITH_ERRORS": ("#fff3e0", "#ef6c00"),
    "FAILED": ("#fdecea", "#c62828"),
    "FAILED_WITH_TERMINAL_ERROR": ("#fdecea", "#c62828"),
    "TIMED_OUT": ("#fdecea", "#c62828"),
    "IN_PROGRESS": ("#e3f2fd", "#1565c0"),
    "SCHEDULED": ("#fff8e1", "#f9a825"),
    "CANCELED": ("#eceff1", "#78909c"),
    "SKIPPED": ("#eceff1", "#78909c"),
}
NOT_RUN = ("#ffffff", "#b0bec5")
FORK_TYPES = ("FORK_JOIN", "FORK")
SWITCH_TYPES = ("SWITCH", "DECISION")


@dataclass
class Run:
    """What a run adds to its definition's drawing: its tasks by reference name (the latest
    attempt and iteration of each) and where links go."""

    tasks: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # The link of a task's box: its row on the workflow page.
    task_link: str = "#task-{taskId}"

    def task(self, reference: str) -> Mapping[str, Any] | None:
        return self.tasks.get(reference)


# -- blocks: each knows its size and draws itself with its top-left corner at (x, y); it is
#    entered at the middle of its top edge and left at the middle of its bottom edge.
class Block:
    width: float = NODE_WIDTH
    height: float = NODE_HEIGHT

    def draw(self, x: float, y: float, out: list[str]) -> None:
        raise NotImplementedError


@dataclass
class Node(Block):
    reference: str
    kind: str  # the task's type
    detail: str = ""  # the second line besides the type: the sub-workflow's name, ...
    task: Mapping[str, Any] | None = None
    link: str = ""
    dashed: bool = False

    def __post_init__(self) -> None:
        self.height = NODE_HEIGHT + REASON_LINE * (
            len(self.reason_lines) - 1 if self.reason_lines else 0
        )

    @property
    def status(self) -> str:
        return str(self.task.get("status")) if self.task else "NOT_RUN"

    @property
    def reason_lines(self) -> list[str]:
        """A failed task's reason, on as many lines as a box shows (the rest in its title)."""
        reason = str((self.task or {}).get("reasonForIncompletion") or "")
        lines = textwrap.wrap(reason, LINE_CHARACTERS) or []
        if len(lines) > REASON_LINES:
            lines = [
                *lines[: REASON_LINES - 1],
                _cut(" ".join(lines[REASON_LINES - 1 :]), LINE_CHARACTERS),
            ]
        return lines

    def draw(self, x: float, y: float, out: list[str]) -> None:
        fill, stroke = COLOURS.get(self.status, NOT_RUN)
        dashed = self.dashed or self.task is None
        reason = str((self.task or {}).get("reasonForIncompletion") or "")
        title = f"{self.reference} ({self.kind}): {self.status.lower().replace('_', ' ')}"
        if reason:
            title += f"\n{reason}"
        second = " · ".join(p for p in (self.kind, self.detail) if p)
        third = self.status if self.task is not None and not reason else ""
        parts = [
            f'<g class="node" data-ref="{escape(self.reference)}" data-type="{escape(self.kind)}"'
            f' data-status="{escape(self.status)}">',
            f"<title>{escape(title)}</title>",
            f'<rect x="{x:g}" y="{y:g}" width="{self.width:g}" height="{self.height:g}" rx="6"'
            f' fill="{fill}" stroke="{stroke}" stroke-width="1.5"'
            + (' stroke-dasharray="4 3"' if dashed else "")
            + "/>",
            _text(x + 10, y + 17, _cut(self.reference, LINE_CHARACTERS), "name"),
            _text(x + 10, y + 32, _cut(second, LINE_CHARACTERS), "kind"),
        ]
        if third:
            parts.append(_text(x + 10, y + 46, _cut(third, LINE_CHARACTERS), "state"))
        for number, line in enumerate(self.reason_lines):  # the colour says it failed
            parts.append(_text(x + 10, y + 46 + number * REASON_LINE, line, "reason"))
        parts.append("</g>")
        body = "".join(parts)
        out.append(f'<a href="{escape(self.link)}">{body}</a>' if self.link else body)


@dataclass
class Empty(Block):
    """A lane with nothing in it (a SWITCH case with no task): the path runs straight down."""

    width: float = 40
    height: float = 12

    def draw(self, x: float, y: float, out: list[str]) -> None:
        middle = x + self.width / 2
        out.append(_line(middle, y, middle, y + self.height))


class Column(Block):
    """Blocks one below the other, joined by arrows."""

    def __init__(self, blocks: Sequence[Block]) -> None:
        self.blocks = list(blocks) or [Empty()]
        self.width = max(block.width for block in self.blocks)
        self.height = sum(block.height for block in self.blocks) + GAP_Y * (len(self.blocks) - 1)

    def draw(self, x: float, y: float, out: list[str]) -> None:
        middle = x + self.width / 2
        top = y
        for number, block in enumerate(self.blocks):
            if number:
                out.append(_arrow(middle, top - GAP_Y, middle, top))
            block.draw(middle - block.width / 2, top, out)
            top += block.height + GAP_Y


@dataclass
class Lane:
    label: str
    block: Block
    taken: bool = False  # the case a SWITCH's run took


class Branches(Block):
    """A box that opens lanes side by side (a SWITCH's cases, a fork's branches), which meet
    again at a point below them."""

    def __init__(self, head: Node, lanes: Sequence[Lane]) -> None:
        self.head = head
        self.lanes = list(lanes) or [Lane("", Empty())]
        spread = sum(lane.block.width for lane in self.lanes) + GAP_X * (len(self.lanes) - 1)
        self.width = max(head.width, spread)
        tallest = max(lane.block.height for lane in self.lanes)
        self.height = head.height + GAP_Y + LABEL_HEIGHT + tallest + GAP_Y

    def draw(self, x: float, y: float, out: list[str]) -> None:
        middle = x + self.width / 2
        self.head.draw(middle - self.head.width / 2, y, out)
        split = y + self.head.height + GAP_Y / 2
        lanes_top = y + self.head.height + GAP_Y + LABEL_HEIGHT
        meet = y + self.height
        spread = sum(lane.block.width for lane in self.lanes) + GAP_X * (len(self.lanes) - 1)
        left = x + (self.width - spread) / 2
        out.append(_line(middle, y + self.head.height, middle, split))
        for lane in self.lanes:
            centre = left + lane.block.width / 2
            out.append(_line(middle, split, centre, split))
            out.append(_arrow(centre, split, centre, lanes_top))
            if lane.label:
                style = "lane taken" if lane.taken else "lane"
                label = lane.label + (" ✓" if lane.taken else "")
                out.append(_text(centre + 4, lanes_top - 4, _cut(label, LINE_CHARACTERS), style))
            lane.block.draw(left, lanes_top, out)
            bottom = lanes_top + lane.block.height
            out.append(_line(centre, bottom, centre, meet - 4))
            out.append(_line(centre, meet - 4, middle, meet))
            left += lane.block.width + GAP_X
        out.append(f'<circle cx="{middle:g}" cy="{meet:g}" r="3" fill="#6a7380"/>')


class Loop(Block):
    """A DO_WHILE: its box, then its body in a frame, and the way back up to the box."""

    def __init__(self, head: Node, body: Block) -> None:
        self.head = head
        self.body = body
        self.width = max(head.width, body.width + 2 * LOOP_PAD) + 2 * LOOP_PAD
        self.height = head.height + GAP_Y + body.height + 2 * LOOP_PAD

    def draw(self, x: float, y: float, out: list[str]) -> None:
        middle = x + self.width / 2
        self.head.draw(middle - self.head.width / 2, y, out)
        frame_top = y + self.head.height + GAP_Y
        frame_left = x + LOOP_PAD
        frame_width = self.width - 2 * LOOP_PAD
        frame_height = self.body.height + 2 * LOOP_PAD
        out.append(
            f'<rect class="loop-body" x="{frame_left:g}" y="{frame_top:g}"'
            f' width="{frame_width:g}" height="{frame_height:g}" rx="8" fill="none"'
            ' stroke="#8e99a8" stroke-dasharray="6 4"/>'
        )
        out.append(_arrow(middle, y + self.head.height, middle, frame_top + LOOP_PAD))
        self.body.draw(middle - self.body.width / 2, frame_top + LOOP_PAD, out)
        # The way back: from the body's end, round the right of the frame, up to the box.
        body_end = frame_top + LOOP_PAD + self.body.height
        right = x + self.width - LOOP_PAD / 2
        head_side = middle + self.head.width / 2
        out.append(
            f'<path class="loop-back" d="M{middle:g},{body_end:g} V{body_end + LOOP_PAD / 2:g}'
            f' H{right:g} V{y + self.head.height / 2:g} H{head_side:g}"'
            ' fill="none" stroke="#8e99a8" marker-end="url(#arrow)"/>'
        )


# -- from JSON to blocks --------------------------------------------------------------------
def definition_svg(definition: Mapping[str, Any]) -> str:
    """The diagram of a workflow definition (``GET /api/metadata/workflow/{name}``'s JSON)."""
    return _svg(_column(definition.get("tasks") or [], None), str(definition.get("name", "")))


def run_svg(definition: Mapping[str, Any], tasks: Sequence[Mapping[str, Any]]) -> str:
    """The diagram of a run: its definition's, each box coloured by its task's status."""
    return _svg(_column(definition.get("tasks") or [], latest_tasks(tasks)), "run")


def latest_tasks(tasks: Sequence[Mapping[str, Any]]) -> Run:
    """Each reference name's latest task: a retry's attempt, a loop's last iteration (whose
    reference name is ``ref__N``) under the plain name."""
    latest: dict[str, Mapping[str, Any]] = {}
    for task in sorted(tasks, key=lambda t: int(t.get("seq") or 0)):
        reference = str(task.get("referenceTaskName") or "")
        latest[reference] = task
        latest[base_reference(reference)] = task
    return Run(latest)


def _column(workflow_tasks: Sequence[Mapping[str, Any]], run: Run | None) -> Column:
    return Column([_block(task, run) for task in workflow_tasks])


def _block(workflow_task: Mapping[str, Any], run: Run | None) -> Block:
    kind = str(workflow_task.get("type") or "SIMPLE")
    node = _node(workflow_task, kind, run)
    if kind in SWITCH_TYPES:
        return Branches(node, _switch_lanes(workflow_task, node.task, run))
    if kind in FORK_TYPES:
        lanes = [
            Lane(f"branch {number}", _column(branch, run))
            for number, branch in enumerate(workflow_task.get("forkTasks") or [], start=1)
        ]
        return Branches(node, lanes)
    if kind == "FORK_JOIN_DYNAMIC":
        return Branches(node, _dynamic_lanes(node.task, run))
    if kind == "DO_WHILE":
        iteration = int((node.task or {}).get("iteration") or 0)
        if iteration:
            node.detail = f"iteration {iteration}"
        return Loop(node, _column(workflow_task.get("loopOver") or [], run))
    return node


def _node(workflow_task: Mapping[str, Any], kind: str, run: Run | None) -> Node:
    reference = str(workflow_task.get("taskReferenceName") or workflow_task.get("name") or "?")
    task = run.task(reference) if run is not None else None
    node = Node(reference, kind, task=task)
    if kind == "SIMPLE" and workflow_task.get("name") not in (None, reference):
        node.detail = str(workflow_task["name"])
    if kind == "SUB_WORKFLOW":
        param = workflow_task.get("subWorkflowParam") or {}
        node.detail = str(param.get("name") or "")
        child = (task or {}).get("subWorkflowId") or ((task or {}).get("outputData") or {}).get(
            "subWorkflowId"
        )
        if child:
            node.link = f"/workflows/{child}"
        elif run is None and param.get("name"):
            node.link = f"/definitions/workflows/{param['name']}"
            if param.get("version"):
                node.link += f"/{param['version']}"
    elif task is not None and run is not None:
        node.link = run.task_link.format(taskId=task.get("taskId", ""))
    return node


def _switch_lanes(
    workflow_task: Mapping[str, Any], task: Mapping[str, Any] | None, run: Run | None
) -> list[Lane]:
    chosen = ((task or {}).get("outputData") or {}).get("evaluationResult") or []
    taken = str(chosen[0]) if chosen else None
    cases = workflow_task.get("decisionCases") or {}
    lanes = [
        Lane(f"case {name}", _column(tasks, run), taken == str(name))
        for name, tasks in cases.items()
    ]
    default_taken = taken is not None and taken not in {str(name) for name in cases}
    lanes.append(
        Lane("default", _column(workflow_task.get("defaultCase") or [], run), default_taken)
    )
    return lanes


def _dynamic_lanes(task: Mapping[str, Any] | None, run: Run | None) -> list[Lane]:
    """The lanes a dynamic fork's run created (a placeholder in a definition)."""
    forked = ((task or {}).get("inputData") or {}).get("forkedTasks") or []
    if run is None or not forked:
        placeholder = Node("tasks of the run", "DYNAMIC", "made at run time", dashed=True)
        return [Lane("", placeholder)]
    lanes = []
    for number, reference in enumerate(forked, start=1):
        forked_task = run.task(str(reference))
        kind = str((forked_task or {}).get("taskType") or "SIMPLE")
        node = Node(str(reference), kind, task=forked_task)
        if forked_task is not None:
            node.link = run.task_link.format(taskId=forked_task.get("taskId", ""))
        lanes.append(Lane(f"branch {number}", node))
    return lanes


# -- SVG text -------------------------------------------------------------------------------
_STYLE = (
    "text{font:12px system-ui,sans-serif;fill:#1d232b}"
    "text.name{font-weight:600}text.kind{fill:#56606b;font-size:11px}"
    "text.reason{fill:#b3261e;font-size:11px}text.state{font-size:10px;fill:#56606b}text.lane{fill:#56606b;font-size:11px}"
    "text.lane.taken{fill:#1d232b;font-weight:600}"
    "a:hover rect{stroke-width:2.5}"
)


def _svg(root: Block, label: str) -> str:
    out: list[str] = []
    root.draw(MARGIN, MARGIN, out)
    width = root.width + 2 * MARGIN
    height = root.height + 2 * MARGIN
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="diagram" role="img"'
        f' aria-label="diagram of {escape(label)}" width="{width:g}" height="{height:g}"'
        f' viewBox="0 0 {width:g} {height:g}">'
        f"<style>{_STYLE}</style>"
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7"'
        ' markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"'
        ' fill="#6a7380"/></marker></defs>' + "".join(out) + "</svg>"
    )


def _text(x: float, y: float, text: str, style: str) -> str:
    return f'<text class="{style}" x="{x:g}" y="{y:g}">{escape(text)}</text>'


def _line(x1: float, y1: float, x2: float, y2: float) -> str:
    return f'<line x1="{x1:g}" y1="{y1:g}" x2="{x2:g}" y2="{y2:g}" stroke="#6a7380"/>'


def _arrow(x1: float, y1: float, x2: float, y2: float) -> str:
    return (
        f'<line x1="{x1:g}" y1="{y1:g}" x2="{x2:g}" y2="{y2:g}" stroke="#6a7380"'
        ' marker-end="url(#arrow)"/>'
    )


def _cut(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"
