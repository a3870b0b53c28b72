//! A first-in, first-out queue of lines that keeps its first `limit` in
//! memory and the rest in a temporary file, so that what waits costs a
//! bounded amount of memory however much of it there is. Lines may be added
//! while others are taken: the file is written and read through two
//! handles of their own.

use std::collections::VecDeque;
use std::io::{self, BufRead, BufReader, BufWriter, Write};

/// Lines waiting, in the order added.
pub(crate) struct LineQueue {
    memory: VecDeque<String>,
    limit: usize,
    file: Option<Spill>,
}

struct Spill {
    writer: BufWriter<std::fs::File>,
    reader: BufReader<std::fs::File>,
    /// Lines written and not yet read back.
    count: u64,
    /// Lines written since the last flush: flushed before a read.
    unflushed: bool,
    /// Removes the file when the queue goes.
    _path: tempfile::TempPath,
}

impl LineQueue {
    /// A queue that keeps up to `limit` lines in memory.
    pub(crate) fn new(limit: usize) -> Self {
        LineQueue {
            memory: VecDeque::new(),
            limit,
            file: None,
        }
    }

    /// Lines waiting.
    #[cfg(test)]
    pub(crate) fn len(&self) -> u64 {
        self.memory.len() as u64 + self.file.as_ref().map_or(0, |f| f.count)
    }

    /// Lines waiting in memory.
    #[cfg(test)]
    pub(crate) fn in_memory(&self) -> usize {
        self.memory.len()
    }

    /// Add `line` (which holds no line break) at the end. An error only
    /// when the temporary file cannot be made or written.
    pub(crate) fn push(&mut self, line: String) -> io::Result<()> {
        let spilled = self.file.as_ref().is_some_and(|f| f.count > 0);
        if !spilled && self.memory.len() < self.limit {
            self.memory.push_back(line);
            return Ok(());
        }
        let spill = match &mut self.file {
            Some(spill) => spill,
            None => {
                let file = tempfile::NamedTempFile::new()?;
                let reader = BufReader::new(file.reopen()?);
                let (writer, path) = file.into_parts();
                self.file.insert(Spill {
                    writer: BufWriter::new(writer),
                    reader,
                    count: 0,
                    unflushed: false,
                    _path: path,
                })
            }
        };
        spill.writer.write_all(line.as_bytes())?;
        spill.writer.write_all(b"\n")?;
        spill.count += 1;
        spill.unflushed = true;
        Ok(())
    }

    /// Take the first line waiting.
    pub(crate) fn pop(&mut self) -> io::Result<Option<String>> {
        if let Some(line) = self.memory.pop_front() {
            return Ok(Some(line));
        }
        let Some(spill) = &mut self.file else {
            return Ok(None);
        };
        if spill.count == 0 {
            return Ok(None);
        }
        if spill.unflushed {
            spill.writer.flush()?;
            spill.unflushed = false;
        }
        let mut line = String::new();
        if spill.reader.read_line(&mut line)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the temporary file of waiting URLs ended early",
            ));
        }
        spill.count -= 1;
        line.truncate(line.trim_end_matches('\n').len());
        Ok(Some(line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_come_back_in_order_from_memory_then_the_file() {
        let mut queue = LineQueue::new(3);
        for i in 0..10 {
            queue.push(format!("line {i}")).unwrap();
        }
        assert_eq!((queue.in_memory(), queue.len()), (3, 10));
        let taken: Vec<String> = std::iter::from_fn(|| queue.pop().unwrap()).collect();
        let expected: Vec<String> = (0..10).map(|i| format!("line {i}")).collect();
        assert_eq!(taken, expected);
    }

    #[test]
    fn lines_added_while_others_are_taken_keep_their_order() {
        let mut queue = LineQueue::new(2);
        let mut next = 0;
        let mut taken = Vec::new();
        // Add two, take one, many times: the file is read and written in turn.
        for _ in 0..1_000 {
            for _ in 0..2 {
                queue.push(next.to_string()).unwrap();
                next += 1;
            }
            taken.push(queue.pop().unwrap().unwrap());
        }
        while let Some(line) = queue.pop().unwrap() {
            taken.push(line);
        }
        let expected: Vec<String> = (0..next).map(|i| i.to_string()).collect();
        assert_eq!(taken, expected);
        // Empty again: new lines wait in memory.
        queue.push("last".into()).unwrap();
        assert_eq!(queue.in_memory(), 1);
    }
}
