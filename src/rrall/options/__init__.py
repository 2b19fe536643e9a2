"""Treatment options: each therapy's status for one case, with reasons and evidence."""
