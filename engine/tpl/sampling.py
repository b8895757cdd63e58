"""Which images a training batch draws: true-label templates more often than their share."""

from __future__ import annotations

import torch


def draw_images(templates: torch.Tensor, others: torch.Tensor, batch_size: int,
                template_weight: float, gen: torch.Generator) -> torch.Tensor:
    """(batch_size,) image indices; each slot is a template with probability
    ``template_weight`` when there are both kinds (one of the two may be empty)."""
    def draw(pool: torch.Tensor) -> torch.Tensor:
        return pool[torch.randint(0, len(pool), (batch_size,), device=pool.device,
                                  generator=gen)]

    if len(templates) == 0 or len(others) == 0:
        return draw(templates if len(templates) else others)
    use_template = torch.rand(batch_size, device=templates.device,
                              generator=gen) < template_weight
    return torch.where(use_template, draw(templates), draw(others))
