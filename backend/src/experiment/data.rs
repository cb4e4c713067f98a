//! The sample-table side of the experiment: pages of records with thumbnails, metadata,
//! queries, edits, splits, histograms and per-sample statistics.

use std::collections::HashSet;

use weightslab_media::{SizeSpec, ThumbFormat, ThumbRequest};
use weightslab_proto::*;
use weightslab_table::{Edit, Intent, MetaValue, RowSnapshot, SampleRef, TagMode};

use super::{EditPlan, Experiment, Targets};
use crate::error::{ServiceError, ServiceResult};

fn scalar(name: &str, value: f32) -> DataStat {
    DataStat {
        name: name.into(),
        r#type: "scalar".into(),
        shape: vec![1],
        value: vec![value],
        ..Default::default()
    }
}

fn string_stat(name: &str, value: impl Into<String>) -> DataStat {
    DataStat {
        name: name.into(),
        r#type: "string".into(),
        shape: vec![1],
        value_string: value.into(),
        ..Default::default()
    }
}

fn refs(targets: &Targets) -> Vec<SampleRef> {
    targets
        .ids
        .iter()
        .zip(&targets.origins)
        .map(|(id, origin)| SampleRef::new(origin.clone(), id.clone()))
        .collect()
}

fn convert_media_source(source: weightslab_data::ImageSource) -> weightslab_media::ImageSource {
    match source {
        weightslab_data::ImageSource::Gray8 {
            width,
            height,
            pixels,
        } => weightslab_media::ImageSource::Gray8 {
            width,
            height,
            pixels,
        },
        weightslab_data::ImageSource::Rgb8 {
            width,
            height,
            pixels,
        } => weightslab_media::ImageSource::Rgb8 {
            width,
            height,
            pixels,
        },
        weightslab_data::ImageSource::Encoded(bytes) => {
            weightslab_media::ImageSource::Encoded(bytes)
        }
    }
}

impl Experiment {
    fn wants(filter: &HashSet<&str>, name: &str) -> bool {
        filter.is_empty() || filter.contains(name)
    }

    /// The per-sample stats of one row (§4.3 of the wire contract).
    fn row_stats(&self, row: &RowSnapshot, filter: &HashSet<&str>) -> Vec<DataStat> {
        let mut stats = Vec::with_capacity(16);
        let mut push = |stat: DataStat| {
            if Self::wants(filter, &stat.name) {
                stats.push(stat);
            }
        };
        push(string_stat("origin", row.origin.clone()));
        push(string_stat("task_type", self.dataset.task_type()));
        push(scalar("discarded", if row.discarded { 1.0 } else { 0.0 }));
        push(scalar("target", row.label as f32));
        push(scalar("label", row.label as f32));
        if let Some(prediction) = row.prediction {
            push(scalar("pred", prediction as f32));
            push(scalar("prediction", prediction as f32));
        }
        for (name, value) in [
            ("loss", row.loss),
            ("confidence", row.confidence),
            ("label_probability", row.label_probability),
            ("label_issue", row.label_issue),
        ] {
            if let Some(value) = value {
                push(scalar(name, value));
            }
        }
        push(scalar("encounters", row.encounters as f32));
        if let Some(age) = row.last_seen_age {
            push(scalar("last_seen_age", age as f32));
        }
        push(scalar("num_classes", self.dataset.num_classes() as f32));
        push(string_stat("tags", row.tags.join(";")));
        for tag in &row.tags {
            push(string_stat(&format!("tag:{tag}"), "1"));
        }
        for (name, value) in &row.metadata {
            push(string_stat(name, value.to_text()));
        }
        stats
    }

    fn thumbnails_for(
        &self,
        rows: &[RowSnapshot],
        size: SizeSpec,
    ) -> Vec<Result<weightslab_media::Thumbnail, String>> {
        let mut results: Vec<Option<Result<weightslab_media::Thumbnail, String>>> =
            vec![None; rows.len()];
        let mut requests = Vec::new();
        let mut positions = Vec::new();
        for (position, row) in rows.iter().enumerate() {
            match self.dataset.image(row.row as usize) {
                Ok(source) => {
                    positions.push(position);
                    requests.push(ThumbRequest {
                        key: format!("{}/{}", row.origin, row.sample_id),
                        source: convert_media_source(source),
                        size,
                        format: ThumbFormat::Jpeg,
                    });
                }
                Err(error) => results[position] = Some(Err(error.to_string())),
            }
        }
        for (position, rendered) in positions.into_iter().zip(self.thumbnails.render(requests)) {
            results[position] = Some(rendered.map_err(|error| error.to_string()));
        }
        results
            .into_iter()
            .map(|result| result.unwrap_or_else(|| Err("no thumbnail".into())))
            .collect()
    }

    fn records(
        &self,
        rows: &[RowSnapshot],
        include_raw: bool,
        size: SizeSpec,
        filter: &HashSet<&str>,
    ) -> Vec<DataRecord> {
        let thumbnails = if include_raw {
            self.thumbnails_for(rows, size)
        } else {
            Vec::new()
        };
        rows.iter()
            .enumerate()
            .map(|(position, row)| {
                let mut data_stats = self.row_stats(row, filter);
                match thumbnails.get(position) {
                    Some(Ok(thumbnail)) => data_stats.push(DataStat {
                        name: "raw_data".into(),
                        r#type: "bytes".into(),
                        shape: vec![
                            thumbnail.height as i32,
                            thumbnail.width as i32,
                            i32::from(thumbnail.channels),
                        ],
                        thumbnail: thumbnail.bytes.to_vec(),
                        ..Default::default()
                    }),
                    Some(Err(error)) => {
                        data_stats.push(string_stat("raw_data_error", error.clone()))
                    }
                    None => {}
                }
                DataRecord {
                    sample_id: row.sample_id.clone(),
                    data_stats,
                }
            })
            .collect()
    }

    pub fn data_samples(&self, request: &DataSamplesRequest) -> ServiceResult<DataSamplesResponse> {
        let size = SizeSpec::from_request(request.resize_width, request.resize_height)?;
        let counts = self.table.counts();
        let rows = self
            .table
            .page(request.start_index as usize, request.records_cnt as usize);
        let filter: HashSet<&str> = request
            .stats_to_retrieve
            .iter()
            .map(String::as_str)
            .collect();
        let data_records = self.records(&rows, request.include_raw_data, size, &filter);
        Ok(DataSamplesResponse {
            success: !data_records.is_empty(),
            message: if data_records.is_empty() {
                format!(
                    "no rows at {} in a view of {}",
                    request.start_index, counts.in_view
                )
            } else {
                format!("{} rows", data_records.len())
            },
            data_records,
            is_subview: self.table.is_subview(),
            view_count: counts.in_view as i64,
            total_count: counts.total as i64,
        })
    }

    fn metadata_record(&self, row: &RowSnapshot) -> DataRecord {
        let mut data_stats: Vec<DataStat> = row
            .tags
            .iter()
            .map(|tag| string_stat(&format!("tag:{tag}"), "1"))
            .collect();
        data_stats.push(string_stat("origin", row.origin.clone()));
        data_stats.push(string_stat(
            "discarded",
            if row.discarded { "1" } else { "0" },
        ));
        for (name, value) in &row.metadata {
            data_stats.push(string_stat(name, value.to_text()));
        }
        DataRecord {
            sample_id: row.sample_id.clone(),
            data_stats,
        }
    }

    pub fn metadata(&self, request: &GetMetaDataRequest) -> ServiceResult<GetMetaDataResponse> {
        let rows = self
            .table
            .page(request.start_index as usize, request.records_cnt as usize);
        let modal_record = if request.modal_sample_id.is_empty() {
            None
        } else {
            let row = self
                .table
                .row_of("", &request.modal_sample_id)
                .ok_or_else(|| {
                    ServiceError::not_found(format!(
                        "no sample with id {:?}",
                        request.modal_sample_id
                    ))
                })?;
            self.table.row(row).map(|row| {
                let mut record = self.metadata_record(&row);
                record
                    .data_stats
                    .extend(self.row_stats(&row, &HashSet::new()));
                record
            })
        };
        let mut names = self.table.columns();
        names.extend(
            self.table
                .tags()
                .into_iter()
                .map(|tag| format!("tag:{tag}")),
        );
        names.sort();
        names.dedup();
        Ok(GetMetaDataResponse {
            success: true,
            message: String::new(),
            all_metadata_names: names,
            grid_records: rows.iter().map(|row| self.metadata_record(row)).collect(),
            modal_record,
        })
    }

    /// The shared view's filters, sort and limit, for the Studio to show beside its query box.
    pub fn view_summary(&self) -> weightslab_table::ViewSummary {
        self.table.view_summary()
    }

    pub fn apply_query(&self, request: &DataQueryRequest) -> ServiceResult<DataQueryResponse> {
        let counts_reply = |message: String, success: bool| {
            let counts = self.table.counts();
            DataQueryResponse {
                success,
                message,
                number_of_all_samples: counts.in_view as i32,
                number_of_samples_in_the_loop: counts.in_loop as i32,
                number_of_discarded_samples: counts.discarded as i32,
                unique_tags: self.table.tags(),
                agent_intent_type: AgentIntentType::IntentFilter as i32,
                ..Default::default()
            }
        };
        if request.query.len() > weightslab_query::MAX_QUERY_CHARS {
            return Err(ServiceError::invalid("the query is longer than 1 MiB"));
        }
        let mut prefix = String::new();
        let query = match weightslab_query::parse(&request.query, request.is_natural_language) {
            Ok(query) => query,
            Err(error) => match (request.is_natural_language, self.agent()) {
                (true, Some(agent)) => {
                    let answer = match agent.translate(
                        &request.query,
                        &self.table.columns(),
                        &self.table.tags(),
                    ) {
                        Ok(answer) => answer,
                        Err(agent_error) => {
                            return Ok(counts_reply(
                                format!("Query not understood: {error}. {agent_error}"),
                                false,
                            ));
                        }
                    };
                    match weightslab_query::parse(&answer, false) {
                        Ok(query) => {
                            prefix = format!("Assistant: `{answer}`. ");
                            query
                        }
                        Err(answer_error) => {
                            return Ok(counts_reply(
                                format!(
                                    "The assistant answered `{answer}`, which is not a valid query: {answer_error}"
                                ),
                                false,
                            ));
                        }
                    }
                }
                _ => {
                    return Ok(counts_reply(
                        format!("Query not understood: {error}"),
                        false,
                    ));
                }
            },
        };
        let outcome = self.table.apply_query(&query)?;
        let mut reply = counts_reply(format!("{prefix}{}", outcome.message), true);
        if let Intent::Analysis(text) = outcome.intent {
            reply.agent_intent_type = AgentIntentType::IntentAnalysis as i32;
            reply.analysis_result = text;
        }
        Ok(reply)
    }

    pub fn edit(&self, plan: EditPlan) -> ServiceResult<String> {
        let changes_data_state = matches!(
            plan,
            EditPlan::Discard { .. } | EditPlan::DiscardByTag { .. }
        );
        let edit = match plan {
            EditPlan::SaveDataState => {
                self.table.compact()?;
                return Ok("Data state saved to the HDF5 file.".into());
            }
            EditPlan::Discard { targets, discarded } => Edit::Discard {
                targets: refs(&targets),
                discarded,
            },
            EditPlan::TagAdd { targets, tag } => Edit::Tag {
                targets: refs(&targets),
                tag,
                mode: TagMode::Add,
            },
            EditPlan::TagRemove { targets, tag } => Edit::Tag {
                targets: refs(&targets),
                tag,
                mode: TagMode::Remove,
            },
            EditPlan::TagSet {
                targets,
                tag,
                value,
            } => Edit::Tag {
                targets: refs(&targets),
                tag,
                mode: TagMode::Set(value),
            },
            EditPlan::DeleteTag { tag } => Edit::DeleteTag(tag),
            EditPlan::RegisterTag { tag } => Edit::RegisterTag(tag),
            EditPlan::DiscardByTag { tag, discarded } => Edit::DiscardByTag { tag, discarded },
            EditPlan::CopyColumn { from } => Edit::CopyColumn { from, to: None },
            EditPlan::DeleteColumn { name } => Edit::DeleteColumn(name),
            EditPlan::SetValues {
                column,
                targets,
                values,
            } => Edit::SetValues {
                column,
                targets: refs(&targets),
                values: values
                    .into_iter()
                    .map(|value| MetaValue::Float(f64::from(value)))
                    .collect(),
            },
        };
        self.pause_for_edit()?;
        let outcome = self.table.apply_edit(edit)?;
        if changes_data_state {
            self.refresh_run_hash()?;
        }
        Ok(outcome.message)
    }

    /// The legacy deny-list operations, mapped onto discards. Without `accumulate`, a deny
    /// list replaces the previous one: samples of that split not named are restored.
    pub fn legacy_deny(
        &self,
        origin: &str,
        ids: Vec<String>,
        discard: bool,
        accumulate: bool,
    ) -> ServiceResult<String> {
        if ids.is_empty() {
            return Err(ServiceError::invalid("sample_ids is empty"));
        }
        let split = self.resolve_split(origin)?;
        if discard && !accumulate {
            let named: HashSet<&str> = ids.iter().map(String::as_str).collect();
            let in_loop: HashSet<u32> = self.table.in_loop_rows(&split).iter().copied().collect();
            let restore: Vec<String> = (0..self.dataset.len() as u32)
                .filter(|row| self.dataset.origin(*row as usize) == split && !in_loop.contains(row))
                .map(|row| self.dataset.sample_id(row as usize).to_string())
                .filter(|id| !named.contains(id.as_str()))
                .collect();
            if !restore.is_empty() {
                let targets = Targets {
                    origins: vec![split.clone(); restore.len()],
                    ids: restore,
                };
                self.edit(EditPlan::Discard {
                    targets,
                    discarded: false,
                })?;
            }
        }
        let targets = Targets {
            origins: vec![split; ids.len()],
            ids,
        };
        self.edit(EditPlan::Discard {
            targets,
            discarded: discard,
        })
    }

    pub fn data_splits(&self) -> ServiceResult<DataSplitsResponse> {
        Ok(DataSplitsResponse {
            success: true,
            split_names: self.table.splits(),
        })
    }

    pub fn histogram(&self, request: &HistogramRequest) -> ServiceResult<HistogramResponse> {
        let histogram = self
            .table
            .histogram(&request.column, request.max_bins as usize)?;
        let sub = |bars: &[weightslab_table::HistogramSubBar]| {
            bars.iter()
                .map(|bar| HistogramSubBar {
                    origin: bar.origin.clone(),
                    discarded: bar.discarded,
                    count: bar.count as i64,
                })
                .collect()
        };
        Ok(HistogramResponse {
            success: true,
            message: String::new(),
            total_rows: histogram.total_rows as i64,
            is_categorical: histogram.is_categorical,
            bins: histogram
                .bins
                .iter()
                .map(|bin| HistogramBin {
                    min: bin.min,
                    max: bin.max,
                    avg: bin.avg,
                    count: bin.count as i64,
                    sub_bars: sub(&bin.sub_bars),
                })
                .collect(),
            categorical_bars: histogram
                .categorical_bars
                .iter()
                .map(|bar| CategoricalHistogramBar {
                    label: bar.label.clone(),
                    count: bar.count as i64,
                    sub_bars: sub(&bar.sub_bars),
                })
                .collect(),
        })
    }

    pub fn samples(&self, request: &BatchSampleRequest) -> ServiceResult<BatchSampleResponse> {
        let size = match (request.resize_width, request.resize_height) {
            (Some(width), Some(height)) => SizeSpec::from_request(width, height)?,
            _ => SizeSpec::Percent(100),
        };
        let mut samples = Vec::with_capacity(request.sample_ids.len());
        for id in &request.sample_ids {
            let Some(row) = self.table.row_of(&request.origin, id) else {
                samples.push(SampleRequestResponse {
                    sample_id: Some(id.clone()),
                    origin: Some(request.origin.clone()),
                    error_message: Some(format!("no sample with id {id:?}")),
                    ..Default::default()
                });
                continue;
            };
            let Some(snapshot) = self.table.row(row) else {
                continue;
            };
            let mut response = SampleRequestResponse {
                sample_id: Some(snapshot.sample_id.clone()),
                origin: Some(snapshot.origin.clone()),
                label: Some(snapshot.label as i32),
                ..Default::default()
            };
            match self.dataset.image(row as usize) {
                Ok(source) => {
                    let rendered = self.thumbnails.render(vec![ThumbRequest {
                        key: format!("{}/{}", snapshot.origin, snapshot.sample_id),
                        source: convert_media_source(source),
                        size,
                        format: ThumbFormat::Png,
                    }]);
                    match rendered.into_iter().next() {
                        Some(Ok(thumbnail)) => {
                            response.raw_data = Some(thumbnail.bytes.to_vec());
                            response.data = Some(thumbnail.bytes.to_vec());
                        }
                        Some(Err(error)) => response.error_message = Some(error.to_string()),
                        None => {}
                    }
                }
                Err(error) => response.error_message = Some(error.to_string()),
            }
            samples.push(response);
        }
        Ok(BatchSampleResponse { samples })
    }

    pub fn sample_statistics(&self, origin: &str) -> ServiceResult<SampleStatistics> {
        let split = self.resolve_split(origin)?;
        let rows: Vec<RowSnapshot> = (0..self.dataset.len() as u32)
            .filter(|row| self.dataset.origin(*row as usize) == split)
            .filter_map(|row| self.table.row(row))
            .collect();
        let records = rows
            .iter()
            .map(|row| RecordMetadata {
                sample_id: row.sample_id.clone(),
                sample_label: vec![row.label as i32],
                sample_prediction: row
                    .prediction
                    .map(|prediction| vec![prediction as i32])
                    .unwrap_or_default(),
                sample_last_loss: row
                    .loss
                    .map(|loss| [("loss".to_string(), loss)].into_iter().collect())
                    .unwrap_or_default(),
                sample_encounters: row.encounters as i32,
                sample_discarded: row.discarded,
                task_type: self.dataset.task_type().to_string(),
                ..Default::default()
            })
            .collect::<Vec<_>>();
        Ok(SampleStatistics {
            origin: Some(split),
            sample_count: Some(records.len() as i32),
            records,
            task_type: self.dataset.task_type().to_string(),
        })
    }
}
