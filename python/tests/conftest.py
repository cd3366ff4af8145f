import pytest

import recurring_model
import support


@pytest.fixture
def mixed_checkpoint(tmp_path):
    desc = support.description(support.MIXED_DENSE, support.MIXED_SPARSE, dim=4, bottom=[6], top_hidden=[5])
    return support.write_checkpoint(str(tmp_path), desc, support.random_tensors(desc))


@pytest.fixture
def mixed_model(mixed_checkpoint):
    return recurring_model.load(mixed_checkpoint)


@pytest.fixture
def criteo_model(tmp_path):
    desc = support.description(support.CRITEO_DENSE, support.CRITEO_SPARSE, dim=4, bottom=[8], top_hidden=[6])
    return recurring_model.load(support.write_checkpoint(str(tmp_path), desc, support.random_tensors(desc)))
