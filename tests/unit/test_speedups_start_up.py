"""The start-up speed-ups (bot/speedups/spacy_load.py, domain_load.py) must leave what a server loads exactly as
Rasa loads it (bench/ measures the gain)."""

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.graph_components.providers.domain_provider import DomainProvider
from rasa.nlu.utils.spacy_utils import SpacyNLP
from rasa.shared.core.domain import Domain

from bot import speedups
from bot.nlu import pipeline
from bot.speedups import domain_load, spacy_load

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True, scope="module")
def installed():
    """Every speed-up in place for these tests, and Rasa's own back afterwards."""
    assert speedups.install(env={})
    yield
    speedups.uninstall()


def _persisted_domain(tmp_path, domain):
    (tmp_path / "storage").mkdir()
    storage = LocalModelStorage(tmp_path / "storage")
    provider = DomainProvider.create({}, storage, Resource("domain_provider"), None)
    provider._persist(domain)
    return storage


def _load(storage):
    context = ExecutionContext(GraphSchema({}), node_name="domain_provider")
    return DomainProvider.load({}, storage, Resource("domain_provider"), context).provide_inference()


def test_the_persisted_domain_loads_as_rasa_loads_it(tmp_path, monkeypatch):
    storage = _persisted_domain(tmp_path, Domain.load(ROOT / "domain.yml"))
    ours = _load(storage)
    monkeypatch.setattr(DomainProvider, "load", classmethod(domain_load._rasas_load_domain))
    rasas = _load(storage)
    assert ours.as_dict() == rasas.as_dict()
    assert ours.fingerprint() == rasas.fingerprint()
    assert len(ours.intents) > 50 and ours.responses and ours.slots  # the project's domain, not an empty one


def test_the_domain_is_parsed_once_and_not_checked_against_the_schema_again(tmp_path, monkeypatch):
    storage = _persisted_domain(tmp_path, Domain.load(ROOT / "domain.yml"))
    parses = []
    real_read_yaml = domain_load.rasa.shared.utils.io.read_yaml
    monkeypatch.setattr(
        domain_load.rasa.shared.utils.io, "read_yaml", lambda *a: parses.append(1) or real_read_yaml(*a)
    )
    monkeypatch.setattr(
        "rasa.shared.utils.validation.validate_yaml_schema", lambda *a: pytest.fail("schema checked again")
    )
    assert _load(storage).intents
    assert len(parses) == 1


def test_any_other_persisted_layout_is_left_to_rasas_loader(tmp_path, monkeypatch):
    storage = _persisted_domain(tmp_path, Domain.load(ROOT / "domain.yml"))
    with storage.write_to(Resource("domain_provider")) as directory:
        (directory / "notes.txt").write_text("not a domain")
    calls = []
    real = domain_load._rasas_load_domain
    monkeypatch.setattr(domain_load, "_rasas_load_domain", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert _load(storage).intents
    assert calls == [1]


@pytest.fixture(scope="module")
def spacy_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("spacy") / "spacy_en"
    pipeline.build().to_disk(path)
    return str(path)


def test_both_spacy_nodes_share_one_pipeline_that_reads_as_rasas(spacy_dir):
    provider = SpacyNLP.create({"model": spacy_dir}, None, Resource("provide_SpacyNLP0"), None)
    runner = SpacyNLP.create({"model": spacy_dir}, None, Resource("run_SpacyNLP0"), None)
    assert provider.provide().model is runner.provide().model
    rasas = spacy_load._rasas_load_spacy(spacy_dir).model
    assert rasas is not provider.provide().model
    text = "My boyfriend keeps asking for nudes on Snapchat and I'm 14"
    ours_doc, rasas_doc = provider.provide().model(text), rasas(text)
    assert [(t.text, t.lemma_) for t in ours_doc] == [(t.text, t.lemma_) for t in rasas_doc]
    assert [(e.text, e.label_) for e in ours_doc.ents] == [(e.text, e.label_) for e in rasas_doc.ents]
    assert ours_doc.ents  # the entity ruler is there
