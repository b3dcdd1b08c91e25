"""amibake's AWS emulator: a thin layer over moto 5.2.5. See docs/emulator.md."""
