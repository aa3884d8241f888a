//! [`Batcher`]: gathers documents that arrive one at a time (queue messages) into chunks for
//! [`Pipeline::annotate_batch`], so a model batches across documents in the workers as it does in
//! `vigie annotate`.

use super::chain::Pipeline;
use super::stage::AnnotateError;
use crate::doc::{Annotated, Document};
use std::sync::Arc;
use std::time::{Duration, Instant};

type Reply = Box<dyn FnOnce(Result<Annotated, AnnotateError>) + Send>;

/// A background thread that annotates submitted documents in chunks of at most `max_batch`,
/// waiting at most `linger` after the first one for others to join it.
pub struct Batcher {
    tx: Option<crossbeam_channel::Sender<(Document, Reply)>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Batcher {
    /// Starts the batching thread; chunks run on `pool`.
    pub fn start(pipeline: Arc<Pipeline>, pool: rayon::ThreadPool, max_batch: usize, linger: Duration) -> Batcher {
        let (tx, rx) = crossbeam_channel::unbounded::<(Document, Reply)>();
        let max_batch = max_batch.max(1);
        let thread = std::thread::Builder::new()
            .name("vigie-batcher".into())
            .spawn(move || {
                while let Ok(first) = rx.recv() {
                    let mut batch = vec![first];
                    let deadline = Instant::now() + linger;
                    while batch.len() < max_batch {
                        match rx.recv_deadline(deadline) {
                            Ok(x) => batch.push(x),
                            Err(_) => break,
                        }
                    }
                    let (docs, replies): (Vec<Document>, Vec<Reply>) = batch.into_iter().unzip();
                    let results = pool.install(|| pipeline.annotate_batch(docs));
                    for (reply, r) in replies.into_iter().zip(results) {
                        reply(r);
                    }
                }
            })
            .expect("spawning the batching thread");
        Batcher { tx: Some(tx), thread: Some(thread) }
    }

    /// Queues a document; `reply` is called with its result on the batching thread.
    pub fn submit(&self, doc: Document, reply: impl FnOnce(Result<Annotated, AnnotateError>) + Send + 'static) {
        if let Some(tx) = &self.tx {
            if let Err(crossbeam_channel::SendError((_, reply))) = tx.send((doc, Box::new(reply))) {
                reply(Err(AnnotateError::Panic("the batching thread stopped".into())));
            }
        }
    }
}

impl Drop for Batcher {
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::DocId;

    #[test]
    fn documents_come_back_annotated_in_chunks() {
        let pipeline = Arc::new(crate::pipeline::default_annotator(None).unwrap());
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let b = Batcher::start(pipeline.clone(), pool, 8, Duration::from_millis(50));
        let (tx, rx) = std::sync::mpsc::channel();
        for i in 0..20 {
            let tx = tx.clone();
            let doc = Document {
                id: DocId::Str(format!("d{i}")),
                text: format!("Le FLA a attaqué Kidal le {i} juin."),
                lang: None,
                meta: Default::default(),
            };
            b.submit(doc, move |r| tx.send(r).unwrap());
        }
        drop(tx);
        let got: Vec<Annotated> = rx.iter().map(|r| r.unwrap()).collect();
        assert_eq!(got.len(), 20);
        for a in &got {
            let want = pipeline
                .annotate(Document { id: a.id.clone(), text: a.text.clone(), lang: None, meta: Default::default() })
                .unwrap();
            assert_eq!(a, &want);
        }
    }
}
