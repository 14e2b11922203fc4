//! `ReportStore`: what both backends share of it. Period counts differ (each backend buckets
//! its own way), and so do two fragments the shared methods ask their backend for: the
//! comment search (FTS5 or tsvector) and the column that orders rows as inserted.

macro_rules! report_store {
    ($store:ty { $($own:tt)* }) => {
        const _: () = {
            use $crate::store::aggregates::sum_columns;
            use $crate::store::sql::prelude::*;
            use $crate::store::sql::VERBATIM_COLUMNS;

            #[async_trait]
            impl ReportStore for $store {
                $($own)*

                async fn score_counts(&self, org: Uuid, site: Uuid, range: TimeRange) -> StoreResult<ScoreCounts> {
                    let rows: Vec<ScoreCountRow> = sqlx::query_as(
                        "SELECT score, COUNT(*) AS answers FROM responses
                         WHERE org_id = $1 AND site_id = $2 AND received_at >= $3 AND received_at < $4
                         GROUP BY score",
                    )
                    .bind(org)
                    .bind(site)
                    .bind(At(range.from))
                    .bind(At(range.to))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(backend)?;
                    counts_from_rows(rows)
                }

                async fn impression_counts(
                    &self,
                    org: Uuid,
                    site: Uuid,
                    filter: &AnswerFilter,
                    range: TimeRange,
                ) -> StoreResult<Funnel> {
                    let (dimension, value) = filter
                        .segment
                        .as_ref()
                        .map(|s| (s.dimension.as_str(), s.value.as_str()))
                        .unwrap_or(("", ""));
                    let row: FunnelRow = sqlx::query_as(
                        "SELECT COALESCE(SUM(shown), 0) AS shown, COALESCE(SUM(dismissed), 0) AS dismissed,
                                COALESCE(SUM(answered), 0) AS answered
                         FROM impression_aggregates
                         WHERE site_id = $1 AND dimension = $2 AND value = $3
                           AND bucket >= $4 AND bucket < $5
                           AND org_id = $6 AND ($7 IS NULL OR survey_id = $7)",
                    )
                    .bind(site)
                    .bind(dimension)
                    .bind(value)
                    .bind(quarter_hour(range.from))
                    .bind(quarter_hour(range.to))
                    .bind(org)
                    .bind(filter.survey)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(row.into())
                }

                async fn segment_counts(
                    &self,
                    org: Uuid,
                    site: Uuid,
                    survey: Option<Uuid>,
                    dimension: Dimension,
                    range: TimeRange,
                ) -> StoreResult<Vec<SegmentCounts>> {
                    let sql = format!(
                        "SELECT value, {sums} FROM response_aggregates
                         WHERE site_id = $1 AND dimension = $2 AND bucket >= $3 AND bucket < $4
                           AND org_id = $5 AND ($6 IS NULL OR survey_id = $6)
                         GROUP BY value",
                        sums = sum_columns("")
                    );
                    let buckets = [quarter_hour(range.from), quarter_hour(range.to)];
                    let mut tx = self.read_snapshot().await?;
                    let rows: Vec<SegmentSumsRow> = sqlx::query_as(&sql)
                        .bind(site)
                        .bind(dimension.as_str())
                        .bind(buckets[0])
                        .bind(buckets[1])
                        .bind(org)
                        .bind(survey)
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(backend)?;
                    let uncounted = Self::uncounted_keys(&mut tx, org, site).await?;
                    tx.commit().await.map_err(backend)?;
                    let counted = rows
                        .into_iter()
                        .map(|row| SegmentCounts {
                            counts: counts_from_sums(row.sums.sums()),
                            value: row.value,
                        })
                        .collect();
                    Ok(add_uncounted_to_segments(counted, &uncounted, survey, dimension, buckets))
                }

                async fn verbatims(&self, org: Uuid, site: Uuid, q: &VerbatimQuery) -> StoreResult<Vec<Verbatim>> {
                    let mut sql = sqlx::QueryBuilder::new(format!(
                        "SELECT {VERBATIM_COLUMNS} FROM responses r WHERE r.org_id = "
                    ));
                    sql.push_bind(org)
                        .push(" AND r.site_id = ")
                        .push_bind(site)
                        .push(" AND r.received_at >= ")
                        .push_bind(At(q.range.from))
                        .push(" AND r.received_at < ")
                        .push_bind(At(q.range.to));
                    if let Some(survey) = q.filter.survey {
                        sql.push(" AND r.survey_id = ").push_bind(survey);
                    }
                    if let Some(segment) = &q.filter.segment {
                        if segment.dimension == Dimension::Survey {
                            // An id that does not parse matches no answer.
                            let survey = Uuid::parse_str(&segment.value).unwrap_or(Uuid::nil());
                            sql.push(" AND r.survey_id = ").push_bind(survey);
                        } else {
                            sql.push(format!(" AND COALESCE(r.{}, '') = ", column(segment.dimension)))
                                .push_bind(segment.value.clone());
                        }
                    }
                    if let Some(band) = q.band {
                        let (lo, hi) = band.scores();
                        sql.push(" AND r.score BETWEEN ")
                            .push_bind(i16::from(lo))
                            .push(" AND ")
                            .push_bind(i16::from(hi));
                    }
                    if q.comments_only {
                        sql.push(" AND r.comment IS NOT NULL AND r.comment <> ''");
                    }
                    let words = q.search.as_deref().map(search_words).unwrap_or_default();
                    if !words.is_empty() {
                        Self::push_comment_search(&mut sql, &words);
                    }
                    if let Some(tag) = &q.tag {
                        sql.push(" AND EXISTS (SELECT 1 FROM response_tags t WHERE t.response_id = r.id AND t.tag = ")
                            .push_bind(tag.as_str().to_owned())
                            .push(")");
                    }
                    if let Some(end) = q.before {
                        sql.push(" AND (r.received_at, r.id) < (")
                            .push_bind(At(end.received_at))
                            .push(", ")
                            .push_bind(end.id)
                            .push(")");
                    }
                    sql.push(" ORDER BY r.received_at DESC, r.id DESC LIMIT ")
                        .push_bind(i64::from(q.limit));
                    let rows: Vec<VerbatimRow> =
                        sql.build_query_as().fetch_all(&self.pool).await.map_err(backend)?;
                    Ok(rows.into_iter().map(Verbatim::from).collect())
                }

                async fn set_tag(
                    &self,
                    org: Uuid,
                    response: Uuid,
                    tag: &Tag,
                    present: bool,
                    at: DateTime<Utc>,
                ) -> StoreResult<bool> {
                    let exists: bool = sqlx::query_scalar(
                        "SELECT EXISTS (SELECT 1 FROM responses WHERE id = $1 AND org_id = $2)",
                    )
                    .bind(response)
                    .bind(org)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(backend)?;
                    if !exists {
                        return Ok(false);
                    }
                    let query = if present {
                        sqlx::query(
                            "INSERT INTO response_tags (response_id, tag, org_id, created_at)
                             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                        )
                        .bind(response)
                        .bind(tag.as_str())
                        .bind(org)
                        .bind(At(at))
                    } else {
                        sqlx::query("DELETE FROM response_tags WHERE response_id = $1 AND tag = $2 AND org_id = $3")
                            .bind(response)
                            .bind(tag.as_str())
                            .bind(org)
                    };
                    query.execute(&self.pool).await.map_err(backend)?;
                    Ok(true)
                }

                async fn site_tags(&self, org: Uuid, site: Uuid) -> StoreResult<Vec<TagCount>> {
                    let rows: Vec<(String, i64)> = sqlx::query_as(
                        "SELECT t.tag, COUNT(*) FROM response_tags t JOIN responses r ON r.id = t.response_id
                         WHERE t.org_id = $1 AND r.site_id = $2
                         GROUP BY t.tag ORDER BY COUNT(*) DESC, t.tag LIMIT 200",
                    )
                    .bind(org)
                    .bind(site)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(rows
                        .into_iter()
                        .map(|(tag, n)| TagCount { tag, answers: n.max(0) as u64 })
                        .collect())
                }

                async fn consent_of(&self, org: Uuid, response: Uuid) -> StoreResult<Option<ConsentOf>> {
                    let row: Option<ConsentRow> = sqlx::query_as(
                        "SELECT received_at, language, notice_id, consent_choices FROM responses
                         WHERE org_id = $1 AND id = $2",
                    )
                    .bind(org)
                    .bind(response)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend)?;
                    let Some(row) = row else {
                        return Ok(None);
                    };
                    let changes: Vec<ConsentChangeRow> = sqlx::query_as(&format!(
                        "SELECT choice, granted_before, granted, at FROM consent_changes
                         WHERE response_id = $1 ORDER BY at, {}",
                        Self::INSERTION_ORDER
                    ))
                    .bind(response)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(backend)?;
                    Ok(Some(ConsentOf {
                        received_at: row.received_at.0,
                        language: row.language,
                        notice_id: row.notice_id,
                        choices: row.consent_choices.0,
                        changes: changes.into_iter().map(Into::into).collect(),
                    }))
                }
            }
        };
    };
}

pub(crate) use report_store;
