//! Criterion micro-benchmarks of the per-document stages (one core).
//! End-to-end throughput and peak RSS: `vigie bench` (see BENCHMARKS.md).

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use vigie::corpus::{paragraph, Rng};
use vigie::doc::{DocId, Document};
use vigie::domain::lexicon::Lexicon;
use vigie::text::segment::segment;

fn stages(c: &mut Criterion) {
    let mut rng = Rng::new(1);
    let paras: Vec<String> = (0..200).map(|_| paragraph(&mut rng)).collect();
    let bytes: usize = paras.iter().map(|p| p.len()).sum();
    let lex = Lexicon::builtin().expect("lexicons");
    let annotator = vigie::pipeline::default_annotator(None).expect("annotator");
    let mut g = c.benchmark_group("200 paragraphs");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("segment", |b| b.iter(|| paras.iter().map(|p| segment(black_box(p)).len()).sum::<usize>()));
    g.bench_function("lexicon.find", |b| b.iter(|| paras.iter().map(|p| lex.find(black_box(p)).len()).sum::<usize>()));
    // the geo stage alone: documents annotated without it, then geocoded
    let no_geo = vigie::pipeline::PipelineConfig { geo: None, ..vigie::pipeline::PipelineConfig::fast() }
        .build()
        .expect("pipeline");
    let annotated: Vec<vigie::doc::Annotated> = paras
        .iter()
        .map(|p| {
            no_geo
                .annotate(Document {
                    id: DocId::Str("x".into()),
                    text: p.clone(),
                    lang: None,
                    meta: Default::default(),
                })
                .expect("annotate")
        })
        .collect();
    let (geocoder, _) = vigie::pipeline::GeoSettings::default()
        .geocoder(std::sync::Arc::new(Lexicon::builtin().expect("lexicons")))
        .expect("geocoder");
    g.bench_function("geocode", |b| {
        b.iter(|| {
            annotated
                .iter()
                .map(|a| {
                    let mut ents = a.entities.clone();
                    geocoder.geocode(black_box(&a.text), &mut ents);
                    ents.len()
                })
                .sum::<usize>()
        })
    });
    g.bench_function("clone entities (baseline of geocode)", |b| {
        b.iter(|| annotated.iter().map(|a| black_box(a.entities.clone()).len()).sum::<usize>())
    });
    g.bench_function("encode without geo", |b| {
        b.iter(|| annotated.iter().map(|a| vigie::emit::encode_jsonl(black_box(a)).len()).sum::<usize>())
    });
    g.bench_function("annotate+encode", |b| {
        b.iter(|| {
            paras
                .iter()
                .map(|p| {
                    let d =
                        Document { id: DocId::Str("x".into()), text: p.clone(), lang: None, meta: Default::default() };
                    vigie::emit::encode_jsonl(&annotator.annotate(d).expect("annotate")).len()
                })
                .sum::<usize>()
        })
    });
    g.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
