//! AMD SVM with nested paging (RVI).

pub mod vmcb;
