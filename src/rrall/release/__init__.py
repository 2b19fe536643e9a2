"""Knowledge releases: the manifest and signature of a release, what changed between two
releases, which cases' conclusions the change moves, and releases kept side by side."""
