"""Where a take came from, as the library keeps it: an ElevenLabs answer's C2PA manifest (signed by the fake with
a certificate chain the tests mint), Lyria's SynthID; through the real SDKs against fakes of their wire formats."""

import json

from padserver.harness.content_signing import GENERATOR, SIGNER
from padserver.harness.wait import wait_for

KEY = "el-test-key-654"
MADE_BY_AI = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"


def shown(d, loop_id) -> dict:
    return json.loads(d.request("/library/show", loop_id, reply="/library/show")[0])["provenance"]


def generated(d, pad, *args):
    d.osc.send(f"/pad/{pad}/generate", *args)
    wait_for(lambda: d.status()["pads"][pad - 1]["loop_id"] is not None, 60, "the loop")
    return d.status()["pads"][pad - 1]["loop_id"]


def test_a_signed_answer_keeps_its_manifest_and_an_unsigned_one_has_none(stepped, fake):
    config = (
        f"providers:\n  elevenlabs_api_key: {KEY}\n  google_api_key: g-key\n"
        f"  elevenlabs-music:\n    base_url: {fake.url}\n    c2pa: true\n"
        f"  elevenlabs-sfx:\n    base_url: {fake.url}\n"
        f"  lyria-clip:\n    base_url: {fake.url}\n"
    )
    d = stepped(config=config)
    signed = shown(d, generated(d, 1, "house groove", "provider=elevenlabs-music"))
    (asked,) = fake.seen("/v1/music")  # (signing needs the whole composition: not streamed)
    assert asked["body"]["sign_with_c2pa"] is True
    manifest = signed["params"]["c2pa"]
    assert manifest["claim_generator"] == f"{GENERATOR} 1.0" and manifest["signer"] == SIGNER
    assert manifest["issuer"] == "padserver tests" and manifest["validation"] == "Valid"
    assert manifest["problems"] == ["signingCredential.untrusted"]  # (the tests' own root: on no trust list)
    actions = [a for a in manifest["assertions"] if a["label"].startswith("c2pa.actions")]
    assert actions[0]["data"]["actions"][0]["digitalSourceType"] == MADE_BY_AI
    assert signed["watermark"] == f"C2PA ({SIGNER}, untrusted signer)"
    # an answer that was not signed: no manifest, no watermark claimed
    plain = shown(d, generated(d, 2, "rain on a tin roof", "provider=elevenlabs-sfx"))
    assert "c2pa" not in plain["params"] and "watermark" not in plain
    # Lyria's output is SynthID-watermarked, as Google says: recorded so
    lyria = shown(d, generated(d, 3, "dub chords", "provider=lyria-clip"))
    assert lyria["provider"] == "lyria-clip" and lyria["watermark"] == "SynthID"


def test_signed_stems_keep_their_manifest(stepped, fake):
    config = (
        "loops:\n  normalize: false\n"
        f"providers:\n  elevenlabs_api_key: {KEY}\n  elevenlabs-stems:\n    base_url: {fake.url}\n    c2pa: true\n"
    )
    d = stepped(config=config)
    generated(d, 1, "house groove", "instrument=drums", "provider=offline")
    assert d.request("/pad/1/split", "stems=2", reply="/pad/1/split", timeout=60) == [2, 3]
    (asked,) = fake.seen("/v1/music/stem-separation")
    assert asked["body"]["sign_with_c2pa"] == "true"
    stem = shown(d, d.status()["pads"][1]["loop_id"])
    assert stem["params"]["c2pa"]["signer"] == SIGNER and stem["watermark"] == f"C2PA ({SIGNER}, untrusted signer)"
