"""The decision tree as data, and a pure walker over it.

A symptom picks the entry node; each node names a layer to check, may ask the user a
question, and says where to go next. The walk always visits every applicable layer
(one bounce can hide several faults), starting where the evidence points.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from checks.model import Layer


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    choices: Mapping[str, str]  # answer id -> label shown to the user


@dataclass(frozen=True)
class Node:
    id: str
    title: str
    layer: Layer | None = None
    question: Question | None = None
    #: answer id -> next node id (when the node asks a question)
    branches: Mapping[str, str] = field(default_factory=dict)
    next: str | None = None


SEND_PATH = Question(
    "path",
    "Which path sent this message?",
    {
        "gmail_send_as": "Gmail “Send mail as”, relayed through SES SMTP",
        "ses_smtp": "An application over SES SMTP",
        "ses_api": "The SES API (SendEmail / SendRawEmail)",
    },
)

NODES: dict[str, Node] = {
    n.id: n
    for n in (
        Node("start", "How was it sent?", question=SEND_PATH,
             branches={"gmail_send_as": "relay", "ses_smtp": "relay", "ses_api": "ses"}),
        Node("relay", "Is the relay accepting the credentials?", Layer.GMAIL_RELAY, next="ses"),
        Node("ses", "Will SES send it?", Layer.SES, next="dns"),
        Node("dns", "Does DNS authenticate the sender?", Layer.DNS, next="recipient"),
        Node("recipient", "Will the recipient's server take it?", Layer.RECIPIENT_MTA),
    )
}

LAYER_NODE = {n.layer: n.id for n in NODES.values() if n.layer}

#: symptom id -> (label, entry node)
SYMPTOMS: dict[str, tuple[str, str]] = {
    "bounce": ("I have a bounce message", "start"),
    "not_arriving": ("Mail is not arriving", "start"),
    "check_setup": ("Check my setup", "ses"),
}


@dataclass(frozen=True)
class Walk:
    """Where the walk stands: layers to check in order, or a question to answer first."""

    layers: tuple[Layer, ...]
    question: Question | None = None


def walk(
    entry: str,
    answers: Mapping[str, str],
    *,
    start_layer: Layer | None = None,
    nodes: Mapping[str, Node] = NODES,
) -> Walk:
    """Layers to check, in the order an expert would.

    `start_layer` (from a bounce) moves that layer to the front; the others follow
    in path order, so faults elsewhere are still found.
    """
    layers: list[Layer] = []
    node_id: str | None = entry
    seen: set[str] = set()
    while node_id and node_id not in seen:
        seen.add(node_id)
        node = nodes[node_id]
        if node.layer:
            layers.append(node.layer)
        if node.question:
            answer = answers.get(node.question.id)
            if answer is None:
                return Walk(tuple(layers), node.question)
            node_id = node.branches.get(answer, node.next)
        else:
            node_id = node.next
    if start_layer in layers:
        layers.remove(start_layer)
        layers.insert(0, start_layer)
    elif start_layer is not None:
        layers.insert(0, start_layer)
    return Walk(tuple(layers))
