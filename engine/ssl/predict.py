"""CC2D-SSL inference: locate the template's landmarks on every image of a working set."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from engine.batch_predict import predict_in_batches
from engine.data.grid import to_grid
from engine.data.header import read_image_size
from engine.data.images import load_image
from engine.data.landmarks import LandmarkTable
from engine.data.template import Template
from engine.data.working_set import WorkingSet, resize_to_grid
from engine.device import autocast, memory_format
from engine.models.feature_net import STRIDES, FeatureNet
from engine.progress import ProgressCallback
from engine.ssl.cycle import cycle_locate
from engine.ssl.matching import cascade_locate
from engine.ssl.similarity import sample_vectors


@torch.no_grad()
def template_features(net: FeatureNet, template: Template, size: int, device: torch.device
                      ) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Per scale, the template's (1, C, h, w) feature maps, and its (N, 2) grid points."""
    img = load_image(template.image)
    grid = torch.from_numpy(resize_to_grid(img, size)).to(device).float().div_(255.0)
    pts = torch.from_numpy(to_grid(template.points, img.width, img.height, size)).float()
    with autocast(device):
        maps = net(grid[None, None].contiguous(memory_format=memory_format(device)))
    return [m.float() for m in maps], pts.to(device)


def template_vectors(net: FeatureNet, template: Template, size: int,
                     device: torch.device) -> list[torch.Tensor]:
    """Per scale, (N, C) feature vectors of the template at its landmarks (full-image pass)."""
    maps, pts = template_features(net, template, size, device)
    return [sample_vectors(m, pts[None], s)[0] for m, s in zip(maps, STRIDES)]


def labelled_vectors(net: FeatureNet, templates: Sequence[Template], size: int,
                     device: torch.device) -> list[torch.Tensor]:
    """Per scale, (N, C) query vectors from every labelled image: the mean of their unit
    vectors, so a cosine map against it is the mean of the images' own cosine maps (one
    image gives its own vectors)."""
    per_image = [template_vectors(net, t, size, device) for t in templates]
    if len(per_image) == 1:
        return per_image[0]
    return [torch.stack([F.normalize(v[k], dim=-1) for v in per_image]).mean(0)
            for k in range(len(STRIDES))]


@torch.no_grad()
def locate_batch(net: FeatureNet, images: torch.Tensor, vectors: list[torch.Tensor],
                 window: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, 1, S, S) images → (B, N, 2) grid points and (B, N) confidences."""
    with autocast(device):
        maps = net(images.contiguous(memory_format=memory_format(device)))
    return _cascade(_unit_maps(maps), vectors, images.shape[-1], window)


def _unit_maps(maps: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    return [F.normalize(m.float(), dim=1) for m in maps]


def _cascade(unit_maps: list[torch.Tensor], vectors: list[torch.Tensor], size: int,
             window: int) -> tuple[torch.Tensor, torch.Tensor]:
    sims = [torch.einsum("nc,bchw->bnhw", F.normalize(v, dim=-1), m)
            for m, v in zip(unit_maps, vectors)]
    return cascade_locate(sims, STRIDES, size, window)


@torch.no_grad()
def medoid_batch(net: FeatureNet, images: torch.Tensor,
                 per_image: list[list[torch.Tensor]], window: int,
                 device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Each labelled image's own match, then per landmark the one nearest the others (the
    medoid): one wrong match among several cannot move the result."""
    with autocast(device):
        maps = _unit_maps(net(images.contiguous(memory_format=memory_format(device))))
    found = [_cascade(maps, vectors, images.shape[-1], window) for vectors in per_image]
    points = torch.stack([p for p, _ in found])                      # (K, B, N, 2)
    conf = torch.stack([c for _, c in found])                        # (K, B, N)
    spread = (points[:, None] - points[None]).norm(dim=-1).sum(1)    # (K, B, N)
    best = spread.argmin(0)[None]
    return (points.gather(0, best[..., None].expand(1, -1, -1, 2))[0],
            conf.gather(0, best)[0])


def predict_ssl(
    net: FeatureNet,
    data: WorkingSet,
    template: Template | Sequence[Template],
    window: int,
    device: torch.device,
    *,
    batch_size: int = 8,
    candidates: int = 1,
    fusion: str = "mean",
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> LandmarkTable:
    """Landmarks on every image of ``data`` in original pixels, with a ``confidence`` column.

    Several labelled images (the template first) are matched together: with ``fusion``
    "mean" each landmark goes where their mean cosine similarity peaks
    (:func:`labelled_vectors`), with "medoid" to the match of one of them nearest the
    others' (:func:`medoid_batch`; no cycle matching then). ``candidates`` > 1
    matches cycle-consistently (:mod:`engine.ssl.cycle`) and adds a ``cycle_px`` column:
    how far, in the template's pixels, the chosen point's features land from its landmark.
    """
    templates = [template] if isinstance(template, Template) else list(template)
    size = data.pixels.shape[-1]
    vectors = labelled_vectors(net, templates, size, device)
    back_to = template_features(net, templates[0], size, device) if candidates > 1 else None
    # The template's grid pixels → its own pixels (one scale: the grid letterboxes).
    to_template_px = max(read_image_size(templates[0].image)) / size
    columns = ("confidence",) if back_to is None else ("confidence", "cycle_px")

    if fusion not in ("mean", "medoid"):
        raise ValueError(f"fusion must be 'mean' or 'medoid', not {fusion!r}")
    per_image = ([template_vectors(net, t, size, device) for t in templates]
                 if fusion == "medoid" and len(templates) > 1 else None)

    def locate(index: list[int]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        if per_image is not None:
            points, conf = medoid_batch(net, data.batch(index), per_image, window, device)
            return points.cpu().numpy(), {"confidence": conf.cpu().numpy().astype(np.float64)}
        found = _match_batch(net, data.batch(index), vectors, back_to, window, candidates,
                             device)
        values = {"confidence": found[1].astype(np.float64)}
        if back_to is not None:
            values["cycle_px"] = found[2].astype(np.float64) * to_template_px
        return found[0], values

    return predict_in_batches(data, templates[0].names, locate, stage="SSL prediction",
                              batch_size=batch_size, columns=columns, progress=progress,
                              cancel=cancel)


@torch.no_grad()
def _match_batch(net: FeatureNet, images: torch.Tensor, vectors: list[torch.Tensor],
                 back_to: tuple[list[torch.Tensor], torch.Tensor] | None, window: int,
                 candidates: int, device: torch.device) -> tuple[np.ndarray, ...]:
    """(points, confidence[, cycle distance]) of a batch, as numpy arrays."""
    if back_to is None:
        points, conf = locate_batch(net, images, vectors, window, device)
        return points.cpu().numpy(), conf.cpu().numpy()
    with autocast(device):
        maps = net(images.contiguous(memory_format=memory_format(device)))
    out = cycle_locate([m.float() for m in maps], vectors, back_to[0], back_to[1], STRIDES,
                       images.shape[-1], window, candidates)
    return tuple(t.cpu().numpy() for t in out)
