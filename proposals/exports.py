"""CSV and JSON exports of a process's proposals (public fields only), streamed."""
