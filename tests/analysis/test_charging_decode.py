"""GB/T 27930 identifiers, the decoding table and J1939-21 transport reassembly."""

from __future__ import annotations

from services.charging.decode import Decoder, split_id
from services.charging.gbt27930 import BY_NAME, can_id, decode_fields
from tests.analysis.gbt_simulator import encode, transfer


def test_identifiers_split_into_priority_pgn_destination_and_source() -> None:
    assert split_id(0x181056F4) == (6, 0x1000, 0x56, 0xF4)  # BCL, BMS -> charger
    assert split_id(0x1812F456) == (6, 0x1200, 0xF4, 0x56)  # CCS, charger -> BMS
    assert split_id(0x18FEF100) == (6, 0xFEF1, 0xFF, 0x00)  # PDU2: no destination
    assert [hex(can_id(name)) for name in ("CHM", "BHM", "BST", "CEM")] == [
        "0x1826f456", "0x182756f4", "0x101956f4", "0x81ff456"]


def test_fields_decode_with_resolution_and_offset() -> None:
    # BCL: 420.0 V, -100.0 A (charging), constant current; CCS: 398.7 V, -99.9 A
    bcl = bytes([0x68, 0x10, 0xB8, 0x0B, 0x02])
    assert decode_fields(BY_NAME["BCL"], bcl) == {
        "voltage_demand": 420.0, "current_demand": -100.0, "mode": 2}
    ccs = encode("CCS", output_voltage=398.7, output_current=-99.9, charging_minutes=12,
                 charging_allowed=1)
    assert decode_fields(BY_NAME["CCS"], ccs) == {
        "output_voltage": 398.7, "output_current": -99.9, "charging_minutes": 12,
        "charging_allowed": 1}


def test_a_multi_packet_message_is_reassembled() -> None:
    bcp = encode("BCP", max_cell_voltage=4.2, max_charge_current=250, nominal_energy_kwh=60,
                 max_charge_voltage=450, max_temperature_c=55, soc=31.5, battery_voltage=380)
    decoder = Decoder()

    out = [decoder.feed(cid, data) for _, cid, data in transfer(0.0, 0xF4, 0x0600, bcp)]

    [(spec, payload)] = [m for m in out if m is not None]
    assert (spec.name, payload) == ("BCP", bcp)
    assert decode_fields(spec, payload)["soc"] == 31.5
    assert (decoder.gbt_frames, decoder.broken_transfers) == (5, 0)  # RTS, CTS, 2 DT, ACK


def test_a_lost_packet_drops_the_transfer() -> None:
    brm = bytes(range(41))
    frames = transfer(0.0, 0xF4, 0x0200, brm)
    del frames[4]  # the second TP.DT of six
    decoder = Decoder()

    out = [decoder.feed(cid, data) for _, cid, data in frames]

    assert [m for m in out if m is not None] == []
    assert decoder.broken_transfers == 1


def test_frames_of_other_nodes_are_not_decoded() -> None:
    decoder = Decoder()

    assert decoder.feed(0x18FEF100, bytes(8)) is None
    assert decoder.feed(0x123, bytes(8)) is None
    assert (decoder.gbt_frames, decoder.other_frames) == (0, 2)
