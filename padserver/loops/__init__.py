"""The loop pipeline, in worker processes: decode, resample, downbeat, stretch, seam and loudness; and export."""
