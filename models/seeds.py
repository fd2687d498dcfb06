"""How a scenario seed becomes random generators (one protocol for every run).

A run spawns two children of `SeedSequence(seed)`: child 0 synthesises the firms
(`synthesis_rng`), child 1 drives the model's yearly draws (`model_rng`). An
ensemble spawns one child per member (`member_seeds`): the member's scenario seed and
the generator of its lever draws.
"""

from __future__ import annotations

import numpy as np

RUN_CHILDREN = 2
"""Children a run spawns from its seed: 0 firm synthesis, 1 the model."""


def synthesis_rng(seed: int) -> np.random.Generator:
    """Firm synthesis's generator: the first of the run seed's two children."""
    return np.random.default_rng(np.random.SeedSequence(seed).spawn(RUN_CHILDREN)[0])


def model_rng(seed: int) -> np.random.Generator:
    """The model's generator: the second of the run seed's two children.

    The first synthesises firms, so the two streams never overlap.
    """
    return np.random.default_rng(np.random.SeedSequence(seed).spawn(RUN_CHILDREN)[1])


def member_seeds(seed: int, runs: int) -> list[tuple[int, np.random.Generator]]:
    """(scenario seed, draw generator) of each of `runs` ensemble members.

    Member i takes the i-th child of SeedSequence(seed): its first 32-bit word is the
    member's seed, and a generator on the child draws its uncertain levers.
    """
    out = []
    for child in np.random.SeedSequence(seed).spawn(runs):
        out.append((int(child.generate_state(1, dtype=np.uint32)[0]), np.random.default_rng(child)))
    return out
