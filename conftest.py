"""Repository-wide test settings."""

import pytest
import torch


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    # Two busy cores: intra-op threads of several processes fight each other and run up to
    # 10× slower; one thread per test process is faster and gives stable timings.
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
