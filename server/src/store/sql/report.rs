//! `ReportStore`: what both backends share of it, which is all its SQL but two fragments the
//! shared methods ask their backend for: the comment search (FTS5 or tsvector) and the column
//! that orders rows as inserted.

/// ` AND …`: the raw rows (answers, or impressions when `$impressions`) of a
/// segment, their columns named with `$prefix` (`"r."` or `""`).
macro_rules! push_segment {
    ($sql:ident, $prefix:expr, $segment:expr, $impressions:expr) => {{
        let (segment, prefix): (&SegmentFilter, &str) = ($segment, $prefix);
        match segment.dimension {
            Dimension::Survey => {
                // An id that does not parse matches nothing.
                let survey = Uuid::parse_str(&segment.value).unwrap_or(Uuid::nil());
                $sql.push(format!(" AND {prefix}survey_id = "))
                    .push_bind(survey);
            }
            // Only an answer's comment holds a theme, and only an answer a reason: no
            // impression is in one.
            Dimension::Theme | Dimension::Reason if $impressions => {
                $sql.push(" AND 1 = 0");
            }
            // `,checkout,speed,` holds `,checkout,`. A theme name holds no LIKE
            // wildcard (`ThemeName`: letters, digits and `-`; the view parses it).
            Dimension::Theme if segment.value.is_empty() => {
                $sql.push(format!(" AND {prefix}themes IS NULL"));
            }
            Dimension::Theme => {
                $sql.push(format!(" AND {prefix}themes LIKE "))
                    .push_bind(format!("%,{},%", segment.value));
            }
            // `,plan=pro,tier=gold,` holds `,plan=pro,`, matched exactly (case and all) by the
            // backend's substring function: a value may hold LIKE's wildcards, never `,` or `=`.
            Dimension::Attribute(key) => {
                $sql.push(format!(" AND {}({prefix}attributes, ", Self::FIND_TEXT))
                    .push_bind(app::domain::Attributes::stored_needle(key, &segment.value))
                    .push(") > 0");
            }
            other => match other.number_range(&segment.value) {
                // Bucketed numbers: the range the bucket stands for.
                Some((number, _)) if segment.value.is_empty() => {
                    $sql.push(format!(" AND {prefix}{number} IS NULL"));
                }
                Some((number, Some((lo, hi)))) => {
                    $sql.push(format!(" AND {prefix}{number} BETWEEN "))
                        .push_bind(lo)
                        .push(" AND ")
                        .push_bind(hi);
                }
                Some((_, None)) => {
                    $sql.push(" AND 1 = 0");
                }
                None => {
                    $sql.push(format!(" AND COALESCE({prefix}{}, '') = ", column(other)))
                        .push_bind(segment.value.clone());
                }
            },
        }
    }};
}
pub(crate) use push_segment;

macro_rules! report_store {
    ($store:ty { $($own:tt)* }) => {
        const _: () = {
            use $crate::store::aggregates::{add_uncounted_to_periods, piece_rows, sum_columns};
            use $crate::store::sql::prelude::*;
            use $crate::store::sql::VERBATIM_COLUMNS;

            /// `(VALUES (period, span, from, to, sign), …) p`: the pieces of each period
            /// (`aggregates::piece_rows`, never empty), a table the aggregates are joined to
            /// by index ranges, each row summed with its piece's sign. Both backends name a
            /// VALUES list's columns `column1` to `column5`.
            macro_rules! push_pieces {
                ($sql:ident, $rows:expr) => {{
                    $sql.push(" (");
                    $sql.push_values($rows, |mut row, (period, piece)| {
                        row.push_bind(period)
                            .push_bind(piece.span)
                            .push_bind(piece.from)
                            .push_bind(piece.to)
                            .push_bind(piece.sign);
                    });
                    $sql.push(") p");
                }};
            }

            /// Opens the join of the aggregate rows `a` of `table` to the pieces (the backend's
            /// `aggregates_join`), for the site and dimension; the caller names the value.
            macro_rules! push_key_join {
                ($sql:ident, $table:expr, $site:expr, $dimension:expr) => {{
                    $sql.push(Self::aggregates_join($table))
                        .push("a.site_id = ")
                        .push_bind($site)
                        .push(" AND a.dimension = ")
                        .push_bind($dimension);
                }};
            }

            /// The aggregate rows `a` of the pieces `p`, of the organisation (and survey): the
            /// end of the join the backend opened (`aggregates_join`).
            macro_rules! push_piece_join {
                ($sql:ident, $org:expr, $survey:expr) => {{
                    $sql.push(
                        " AND a.span = p.column2 AND a.bucket >= p.column3 AND a.bucket < p.column4
                          AND a.org_id = ",
                    )
                    .push_bind($org);
                    if let Some(survey) = $survey {
                        $sql.push(" AND a.survey_id = ").push_bind(survey);
                    }
                    $sql.push(Self::AGGREGATES_JOIN_END);
                }};
            }

            /// The aggregate key of a filter's segment: `('', '')` for all answers.
            fn segment_key(filter: &AnswerFilter) -> (&str, &str) {
                filter
                    .segment
                    .as_ref()
                    .map(|s| (s.dimension.as_str(), s.value.as_str()))
                    .unwrap_or(("", ""))
            }

            impl $store {
                /// One page of `q`'s answers received in `range`, newest first: a search reads
                /// from the backend's index (`push_search_source`).
                async fn verbatim_rows(
                    &self,
                    org: Uuid,
                    site: Uuid,
                    q: &VerbatimQuery,
                    words: &[String],
                    range: TimeRange,
                    limit: u32,
                ) -> StoreResult<Vec<Verbatim>> {
                    let mut sql = sqlx::QueryBuilder::new(format!("SELECT {VERBATIM_COLUMNS} FROM "));
                    if words.is_empty() {
                        sql.push("responses r WHERE r.org_id = ");
                    } else {
                        Self::push_search_source(&mut sql, site, words, range, q.before);
                        sql.push(" AND r.org_id = ");
                    }
                    sql.push_bind(org)
                        .push(" AND r.site_id = ")
                        .push_bind(site)
                        .push(" AND r.received_at >= ")
                        .push_bind(At(range.from))
                        .push(" AND r.received_at < ")
                        .push_bind(At(range.to));
                    if let Some(survey) = q.filter.survey {
                        sql.push(" AND r.survey_id = ").push_bind(survey);
                    }
                    if let Some(segment) = &q.filter.segment {
                        $crate::store::sql::push_segment!(sql, "r.", segment, false);
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
                    sql.push(match Self::SEARCH_ORDER {
                        Some(order) if !words.is_empty() => order,
                        _ => " ORDER BY r.received_at DESC, r.id DESC LIMIT ",
                    })
                    .push_bind(i64::from(limit));
                    let rows: Vec<VerbatimRow> =
                        sql.build_query_as().fetch_all(&self.pool).await.map_err(backend)?;
                    Ok(rows.into_iter().map(Verbatim::from).collect())
                }

                /// Answers received in `[from, to)`, counted from the answers themselves: for
                /// the ends of a range that are not whole quarter hours.
                async fn answers_between(
                    &self,
                    org: Uuid,
                    site: Uuid,
                    from: DateTime<Utc>,
                    to: DateTime<Utc>,
                ) -> StoreResult<ScoreCounts> {
                    let rows: Vec<ScoreCountRow> = sqlx::query_as(
                        "SELECT score, COUNT(*) AS answers FROM responses
                         WHERE org_id = $1 AND site_id = $2 AND received_at >= $3 AND received_at < $4
                         GROUP BY score",
                    )
                    .bind(org)
                    .bind(site)
                    .bind(At(from))
                    .bind(At(to))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(backend)?;
                    counts_from_rows(rows)
                }
            }

            #[async_trait]
            impl ReportStore for $store {
                $($own)*

                async fn score_counts(&self, org: Uuid, site: Uuid, range: TimeRange) -> StoreResult<ScoreCounts> {
                    // Whole quarter hours from the aggregates; a range given to the millisecond
                    // (the API takes RFC 3339 times) counts its ragged ends from the answers.
                    let quarter = |q: i64| DateTime::from_timestamp_millis(q * 900_000).unwrap_or(range.from);
                    let (first, last) = (
                        (range.from.timestamp_millis() + 899_999).div_euclid(900_000),
                        quarter_hour(range.to),
                    );
                    if first >= last {
                        return self.answers_between(org, site, range.from, range.to).await;
                    }
                    let mut counts = self
                        .period_counts(org, site, &AnswerFilter::default(), &[quarter(first), quarter(last)])
                        .await?
                        .pop()
                        .unwrap_or_default();
                    for (from, to) in [(range.from, quarter(first)), (quarter(last), range.to)] {
                        if from < to {
                            counts.merge(&self.answers_between(org, site, from, to).await?);
                        }
                    }
                    Ok(counts)
                }

                async fn period_counts(
                    &self,
                    org: Uuid,
                    site: Uuid,
                    filter: &AnswerFilter,
                    boundaries: &[DateTime<Utc>],
                ) -> StoreResult<Vec<ScoreCounts>> {
                    let periods: Vec<[i64; 2]> = boundaries
                        .windows(2)
                        .map(|w| [quarter_hour(w[0]), quarter_hour(w[1])])
                        .collect();
                    let mut out = vec![ScoreCounts::default(); periods.len()];
                    let pieces = piece_rows(&periods);
                    if pieces.is_empty() {
                        return Ok(out);
                    }
                    let (dimension, value) = segment_key(filter);
                    let mut sql = sqlx::QueryBuilder::new(format!(
                        "SELECT p.column1 AS period, {sums} FROM",
                        sums = sum_columns("a.")
                    ));
                    push_pieces!(sql, pieces);
                    push_key_join!(sql, "response_aggregates", site, dimension);
                    sql.push(" AND a.value = ").push_bind(value);
                    push_piece_join!(sql, org, filter.survey);
                    sql.push(" GROUP BY p.column1");
                    let mut tx = self.read_snapshot().await?;
                    let rows: Vec<PeriodSumsRow> =
                        sql.build_query_as().fetch_all(&mut *tx).await.map_err(backend)?;
                    let uncounted = Self::uncounted_keys(&mut tx, org, site).await?;
                    tx.commit().await.map_err(backend)?;
                    for row in rows {
                        if let Some(slot) = usize::try_from(row.period).ok().and_then(|i| out.get_mut(i)) {
                            *slot = counts_from_sums(row.sums.sums());
                        }
                    }
                    add_uncounted_to_periods(&mut out, &uncounted, filter, &periods);
                    Ok(out)
                }

                async fn impression_counts(
                    &self,
                    org: Uuid,
                    site: Uuid,
                    filter: &AnswerFilter,
                    range: TimeRange,
                ) -> StoreResult<Funnel> {
                    let pieces = piece_rows(&[[quarter_hour(range.from), quarter_hour(range.to)]]);
                    let on_impressions = filter.segment.as_ref().is_none_or(|s| s.dimension.on_impressions());
                    if pieces.is_empty() || !on_impressions {
                        return Ok(Funnel::default());
                    }
                    let (dimension, value) = segment_key(filter);
                    let mut sql = sqlx::QueryBuilder::new(
                        "SELECT COALESCE(SUM(p.column5 * a.shown), 0) AS shown,
                                COALESCE(SUM(p.column5 * a.dismissed), 0) AS dismissed,
                                COALESCE(SUM(p.column5 * a.answered), 0) AS answered FROM",
                    );
                    push_pieces!(sql, pieces);
                    push_key_join!(sql, "impression_aggregates", site, dimension);
                    sql.push(" AND a.value = ").push_bind(value);
                    push_piece_join!(sql, org, filter.survey);
                    let row: FunnelRow = sql.build_query_as().fetch_one(&self.pool).await.map_err(backend)?;
                    Ok(row.into())
                }

                async fn impression_cells(
                    &self,
                    org: Uuid,
                    site: Uuid,
                    filter: &AnswerFilter,
                    range: TimeRange,
                ) -> StoreResult<Vec<ImpressionCell>> {
                    let mut sql = sqlx::QueryBuilder::new(format!(
                        "SELECT COALESCE(device_class, '') AS device, COALESCE(trigger, '') AS trigger,
                                COALESCE(language, '') AS language, COALESCE(country, '') AS country,
                                {pages} AS pages_viewed, COALESCE(page_path, '') AS page,
                                SUM(CASE WHEN kind = 'shown' THEN 1 ELSE 0 END) AS shown,
                                SUM(CASE WHEN kind = 'answered' THEN 1 ELSE 0 END) AS answered
                         FROM impressions WHERE org_id = ",
                        pages = app::domain::journey::pages_label_sql("pages_viewed")
                    ));
                    sql.push_bind(org)
                        .push(" AND site_id = ")
                        .push_bind(site)
                        .push(" AND at >= ")
                        .push_bind(At(range.from))
                        .push(" AND at < ")
                        .push_bind(At(range.to));
                    if let Some(survey) = filter.survey {
                        sql.push(" AND survey_id = ").push_bind(survey);
                    }
                    if let Some(segment) = &filter.segment {
                        $crate::store::sql::push_segment!(sql, "", segment, true);
                    }
                    sql.push(" GROUP BY 1, 2, 3, 4, 5, 6");
                    let rows: Vec<ImpressionCellRow> =
                        sql.build_query_as().fetch_all(&self.pool).await.map_err(backend)?;
                    Ok(rows.into_iter().map(Into::into).collect())
                }

                async fn account_counts(
                    &self,
                    org: Uuid,
                    site: Uuid,
                    filter: &AnswerFilter,
                    current: TimeRange,
                    previous: TimeRange,
                ) -> StoreResult<Vec<AccountCounts>> {
                    // Raw answers: only those given under the identify choice carry an account
                    // (a partial index holds them by time).
                    let mut sql = sqlx::QueryBuilder::new(
                        "SELECT r.account_hash, r.score,
                                CASE WHEN r.received_at >= ",
                    );
                    sql.push_bind(At(current.from))
                        .push(
                            " THEN 1 ELSE 0 END AS now, COUNT(*) AS answers
                             FROM responses r WHERE r.org_id = ",
                        )
                        .push_bind(org)
                        .push(" AND r.site_id = ")
                        .push_bind(site)
                        .push(" AND r.account_hash IS NOT NULL AND r.received_at >= ")
                        .push_bind(At(previous.from.min(current.from)))
                        .push(" AND r.received_at < ")
                        .push_bind(At(current.to))
                        .push(" AND (r.received_at >= ")
                        .push_bind(At(current.from))
                        .push(" OR r.received_at < ")
                        .push_bind(At(previous.to))
                        .push(")");
                    if let Some(survey) = filter.survey {
                        sql.push(" AND r.survey_id = ").push_bind(survey);
                    }
                    if let Some(segment) = &filter.segment {
                        $crate::store::sql::push_segment!(sql, "r.", segment, false);
                    }
                    sql.push(" GROUP BY r.account_hash, r.score, 3");
                    let rows: Vec<(String, i16, i32, i64)> =
                        sql.build_query_as().fetch_all(&self.pool).await.map_err(backend)?;
                    let mut by_account: std::collections::BTreeMap<String, AccountCounts> =
                        Default::default();
                    for (hash, score, now, answers) in rows {
                        let entry = by_account.entry(hash.clone()).or_insert_with(|| AccountCounts {
                            account_hash: hash,
                            ..Default::default()
                        });
                        let counts = if now == 1 { &mut entry.current } else { &mut entry.previous };
                        if let Some(slot) = usize::try_from(score).ok().and_then(|s| counts.0.get_mut(s)) {
                            *slot += u64::try_from(answers).unwrap_or(0);
                        }
                    }
                    Ok(by_account.into_values().collect())
                }

                async fn segment_counts(
                    &self,
                    org: Uuid,
                    site: Uuid,
                    survey: Option<Uuid>,
                    dimension: Dimension,
                    range: TimeRange,
                ) -> StoreResult<Vec<SegmentCounts>> {
                    let buckets = [quarter_hour(range.from), quarter_hour(range.to)];
                    let pieces = piece_rows(&[buckets]);
                    if pieces.is_empty() {
                        return Ok(vec![]);
                    }
                    // The dimension's values first, each found by one index seek past the one
                    // before (a loose index scan); then each value's pieces by index range.
                    let mut sql = sqlx::QueryBuilder::new(
                        "WITH RECURSIVE v (value) AS (
                             SELECT (SELECT value FROM response_aggregates WHERE site_id = ",
                    );
                    sql.push_bind(site)
                        .push(" AND dimension = ")
                        .push_bind(dimension.as_str())
                        .push(
                            " ORDER BY value LIMIT 1)
                             UNION ALL
                             SELECT (SELECT a.value FROM response_aggregates a WHERE a.site_id = ",
                        )
                        .push_bind(site)
                        .push(" AND a.dimension = ")
                        .push_bind(dimension.as_str())
                        .push(
                            " AND a.value > v.value ORDER BY a.value LIMIT 1)
                             FROM v WHERE v.value IS NOT NULL)
                         SELECT v.value, ",
                        )
                        .push(sum_columns("a."))
                        .push(" FROM v CROSS JOIN");
                    push_pieces!(sql, pieces);
                    push_key_join!(sql, "response_aggregates", site, dimension.as_str());
                    sql.push(" AND a.value = v.value");
                    push_piece_join!(sql, org, survey);
                    sql.push(" GROUP BY v.value");
                    let mut tx = self.read_snapshot().await?;
                    let rows: Vec<SegmentSumsRow> =
                        sql.build_query_as().fetch_all(&mut *tx).await.map_err(backend)?;
                    let uncounted = Self::uncounted_keys(&mut tx, org, site).await?;
                    tx.commit().await.map_err(backend)?;
                    // A value whose only answers lie in hours a piece takes away sums to zero:
                    // it has no answer in the range.
                    let counted = rows
                        .into_iter()
                        .map(|row| SegmentCounts {
                            counts: counts_from_sums(row.sums.sums()),
                            value: row.value,
                        })
                        .filter(|s| s.counts.n() > 0)
                        .collect();
                    Ok(add_uncounted_to_segments(counted, &uncounted, survey, dimension, buckets))
                }

                async fn verbatims(&self, org: Uuid, site: Uuid, q: &VerbatimQuery) -> StoreResult<Vec<Verbatim>> {
                    let words = q.search.as_deref().map(search_words).unwrap_or_default();
                    let mut rows = self.verbatim_rows(org, site, q, &words, q.range, q.limit).await?;
                    // A search that yields rows newest first, but in no set order within one
                    // millisecond, takes in every answer of a full page's last millisecond,
                    // then orders by (time, id) like every other list.
                    if !words.is_empty() && Self::SEARCH_ORDER.is_some() {
                        let last = rows.last().map(|r| r.received_at);
                        if let Some(last) = last.filter(|_| rows.len() == q.limit as usize) {
                            let instant = TimeRange {
                                from: last,
                                to: last + chrono::Duration::milliseconds(1),
                            };
                            rows.retain(|r| r.received_at != last);
                            rows.extend(self.verbatim_rows(org, site, q, &words, instant, u32::MAX).await?);
                        }
                        rows.sort_by(|a, b| (b.received_at, b.id).cmp(&(a.received_at, a.id)));
                        rows.truncate(q.limit as usize);
                    }
                    Ok(rows)
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
