"""The navigation tree: plans and their recommendations with RAG word and progress."""

from __future__ import annotations

from typing import NamedTuple

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode as UINode

from tracker.records import TreeNode
from tracker.text import one_line
from tracker.tui.view import progress_text, rag_text

__all__ = ["Place", "PlanTree"]


class Place(NamedTuple):
    """What a tree node stands for: all plans, one plan, or one recommendation."""

    plan: str | None
    rec: str | None


def _label(node: TreeNode) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append_text(rag_text(node.rag, width=6))
    text.append(progress_text(node.progress).rjust(4) + " ", style="dim")
    if node.kind == "plan":
        text.append(one_line(node.plan_key), style="bold")
    else:
        text.append(one_line(node.ref or "") + " ", style="bold")
        text.append(one_line(node.title))
    if node.overdue:
        text.append(f" ({node.overdue} overdue)", style="#ff6b6b")
    return text


class PlanTree(Tree[Place]):
    """Choose a plan or a recommendation to show only its actions."""

    DEFAULT_CSS = """
    PlanTree { width: 38; border-right: tall $panel; background: $surface; overflow-x: hidden; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Text("All plans"), data=Place(None, None), id=id)
        self.show_root = True
        self.guide_depth = 2
        self.auto_expand = False
        self._shape: list[tuple[str, list[str | None]]] = []

    def show_plans(self, nodes: list[TreeNode]) -> None:
        """Show the plans, updating labels in place when the plans and refs are unchanged."""
        shape = [(n.plan_key, [c.ref for c in n.children]) for n in nodes]
        total = sum(n.actions for n in nodes)
        overdue = sum(n.overdue for n in nodes)
        root_label = Text(f"All plans · {total:,} actions", style="bold")
        if overdue:
            root_label.append(f" ({overdue:,} overdue)", style="#ff6b6b")
        self.root.set_label(root_label)
        if shape == self._shape:
            for shown, plan in zip(self.root.children, nodes, strict=True):
                shown.set_label(_label(plan))
                for ui_rec, rec in zip(shown.children, plan.children, strict=True):
                    ui_rec.set_label(_label(rec))
            return
        self._shape = shape
        self.root.remove_children()
        for plan in nodes:
            ui_plan: UINode[Place] = self.root.add(
                _label(plan), data=Place(plan.plan_key, None), expand=len(nodes) <= 3
            )
            for rec in plan.children:
                ui_plan.add_leaf(_label(rec), data=Place(plan.plan_key, rec.ref))
        self.root.expand()
