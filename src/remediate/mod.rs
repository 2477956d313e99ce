//! Closing the review loop: reviewers' decisions read back from their workbooks
//! (`decisions`), turned into a reviewable list of Atlas API calls (`plan`), carried out
//! (`apply`) and confirmed (`verify`). It sits above `atlas` and `model`; `rules` and `report`
//! never call it, and nothing in it decides what is risky.

pub mod apply;
pub mod decisions;
pub mod fill;
pub mod journal;
pub mod plan;
