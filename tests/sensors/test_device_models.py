"""Device models decode their frames' bytes as their layouts say, and tell unreadable bytes from other messages."""

import struct

import pytest

from sensors import device_models
from sensors.device_models import NotAReading, UnreadablePayload


def fill_frame(fill=62, battery=88, tenths=215, tilt=3) -> bytes:
    return struct.pack(">BBhB", fill, battery, tenths, tilt)


def compactor_frame(compactions=140, fill=55, battery=97, tenths=-42) -> bytes:
    return struct.pack(">HBBh", compactions, fill, battery, tenths)


def test_the_registry_holds_the_generic_model_and_two_byte_layouts():
    assert {"generic", "ultrasonic-fill-v1", "compactor-v1"} <= set(device_models.REGISTRY)
    assert ("compactor-v1", "Solar compactor (v1 layout)") in device_models.choices()
    assert device_models.get("generic").decoder is None
    assert device_models.get("no-such-model") is None


def test_an_ultrasonic_frame_decodes_to_its_values():
    assert device_models.decode("ultrasonic-fill-v1", fill_frame(), 1) == {
        "fill_percent": 62,
        "battery_percent": 88,
        "temperature_c": 21.5,
        "tilt_degrees": 3,
    }


def test_missing_sensors_leave_their_values_out():
    frame = struct.pack(">BBhB", 10, 50, -0x8000, 0xFF)
    assert device_models.decode("ultrasonic-fill-v1", frame, None) == {"fill_percent": 10, "battery_percent": 50}


def test_a_value_out_of_range_is_decoded_as_sent_for_ingest_to_judge():
    decoded = device_models.decode("ultrasonic-fill-v1", fill_frame(fill=140, tenths=2000), 1)
    assert (decoded["fill_percent"], decoded["temperature_c"]) == (140, 200.0)


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (fill_frame()[:4], "Expected 5 bytes, got 4."),
        (fill_frame() + b"\x00", "Expected 5 bytes, got 6."),
        (b"", "Expected 5 bytes, got 0."),
        (fill_frame(fill=0xFF), "The sensor could not measure the fill (no echo)."),
    ],
)
def test_bytes_that_do_not_fit_the_layout_are_unreadable(frame, message):
    with pytest.raises(UnreadablePayload, match=message.replace("(", r"\(").replace(")", r"\)")):
        device_models.decode("ultrasonic-fill-v1", frame, 1)


def test_another_port_is_not_a_reading():
    with pytest.raises(NotAReading, match="Port 2"):
        device_models.decode("ultrasonic-fill-v1", fill_frame(), 2)


def test_a_compactor_frame_carries_its_count_and_its_own_fill():
    assert device_models.decode("compactor-v1", compactor_frame(), 1) == {
        "compactions": 140,
        "fill_percent": 55,
        "battery_percent": 97,
        "temperature_c": -4.2,
    }
    without_fill = device_models.decode("compactor-v1", compactor_frame(fill=0xFF, tenths=-0x8000), 1)
    assert without_fill == {"compactions": 140, "battery_percent": 97}
    with pytest.raises(UnreadablePayload):
        device_models.decode("compactor-v1", compactor_frame()[:5], 1)


@pytest.mark.parametrize("key", ["generic", "unregistered"])
def test_a_model_without_a_decoder_reads_no_bytes(key):
    with pytest.raises(NotAReading):
        device_models.decode(key, fill_frame(), 1)
