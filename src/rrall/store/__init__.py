"""Storage of cases, their versions, assessments, tumor-board decisions and the audit log."""
