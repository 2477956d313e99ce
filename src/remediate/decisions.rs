//! `atlas-audit decisions`: reviewers' decisions read back from filled-in workbooks.
