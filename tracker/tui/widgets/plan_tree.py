"""The navigation tree: plans and their recommendations with RAG word and progress."""

from __future__ import annotations

from typing import NamedTuple

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode as UINode

from tracker.domain.records import TreeNode
from tracker.domain.text import one_line
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
    """Choose a plan or a recommendation to show only its actions.

    A store may hold hundreds of plans: a plan's recommendations are added to the tree
    only when it is expanded, so a large store's tree appears at once.
    """

    DEFAULT_CSS = """
    PlanTree { width: 38; border-right: tall $panel; background: $surface; overflow-x: hidden; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Text("All plans"), data=Place(None, None), id=id)
        self.show_root = True
        self.guide_depth = 2
        self.auto_expand = False
        self._plans: dict[str, TreeNode] = {}

    def show_plans(self, nodes: list[TreeNode]) -> None:
        """Show the plans, updating labels in place when the same plans are there."""
        total = sum(n.actions for n in nodes)
        overdue = sum(n.overdue for n in nodes)
        root_label = Text(f"All plans · {total:,} actions", style="bold")
        if overdue:
            root_label.append(f" ({overdue:,} overdue)", style="#ff6b6b")
        self.root.set_label(root_label)
        same = list(self._plans) == [n.plan_key for n in nodes]
        self._plans = {n.plan_key: n for n in nodes}
        if same:
            for shown, plan in zip(self.root.children, nodes, strict=True):
                shown.set_label(_label(plan))
                # An expanded plan shows recommendations added since (a new plan had none).
                if shown.children or shown.is_expanded:
                    self._show_recs(shown, plan)
            return
        self.root.remove_children()
        for plan in nodes:
            shown = self.root.add(_label(plan), data=Place(plan.plan_key, None), allow_expand=True)
            if len(nodes) <= 3:
                self._show_recs(shown, plan)
                shown.expand()
        self.root.expand()

    def _show_recs(self, shown: UINode[Place], plan: TreeNode) -> None:
        refs = [c.data.rec if c.data else None for c in shown.children]
        if refs == [r.ref for r in plan.children]:
            for ui_rec, rec in zip(shown.children, plan.children, strict=True):
                ui_rec.set_label(_label(rec))
            return
        shown.remove_children()
        for rec in plan.children:
            shown.add_leaf(_label(rec), data=Place(plan.plan_key, rec.ref))

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[Place]) -> None:
        place = event.node.data
        if place is None or place.plan is None or place.rec is not None:
            return
        if not event.node.children and place.plan in self._plans:
            self._show_recs(event.node, self._plans[place.plan])
