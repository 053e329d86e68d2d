"""
Control-plane handlers (``/_sim/...``) for a simulator served over HTTP: read the journal and
the state, reset, seed a state, inject or clear faults, ban an IP, let "another client" spend
budget. Each takes the simulator and the JSON body and returns JSON-ready data (a
``ValueError`` / ``TypeError`` becomes HTTP 400 naming the problem); the route table is in
:mod:`.urls`.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any


if TYPE_CHECKING:
    from freqtrade_bybit_margin.simulator.core import BybitSimulator


ControlHandler = Callable[["BybitSimulator", dict[str, Any]], Any]


def journal(sim: "BybitSimulator", body: dict[str, Any]) -> Any:
    """``GET /_sim/journal``: every request answered."""
    return {"journal": [e.to_dict() for e in sim.journal]}


def state(sim: "BybitSimulator", body: dict[str, Any]) -> Any:
    """``GET /_sim/state``: see :meth:`BybitSimulator.state`."""
    return sim.state()


def reset(sim: "BybitSimulator", body: dict[str, Any]) -> Any:
    """``POST /_sim/reset``: back to the constructor state."""
    sim.reset()
    return {"reset": True}


def inject_fault(sim: "BybitSimulator", body: dict[str, Any]) -> Any:
    """``POST /_sim/fault`` with :meth:`BybitSimulator.inject_fault`'s keyword arguments."""
    return {"fault": sim.inject_fault(**body).to_dict()}


def clear_faults(sim: "BybitSimulator", body: dict[str, Any]) -> Any:
    """``POST /_sim/faults/clear``: drop every injected fault."""
    sim.clear_faults()
    return {"faults": []}


def spend_budget(sim: "BybitSimulator", body: dict[str, Any]) -> Any:
    """``POST /_sim/budget`` with :meth:`BybitSimulator.spend_budget`'s keyword arguments."""
    hog = sim.spend_budget(**body)
    return {"budget": {"path": hog.key[1], "start_ms": hog.start_ms, "end_ms": hog.end_ms}}


def seed(sim: "BybitSimulator", body: dict[str, Any]) -> Any:
    """``POST /_sim/seed`` with a seed document (see :mod:`.seed`)."""
    return {"seeded": sim.seed(body)}


def ban_ip(sim: "BybitSimulator", body: dict[str, Any]) -> Any:
    """``POST /_sim/ban-ip`` with :meth:`BybitSimulator.ban_ip`'s keyword arguments."""
    return {"banned_until": sim.ban_ip(**body)}
