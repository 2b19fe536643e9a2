"""First-relapse risk frameworks (BFM, IntReALL, COG, UK)."""
