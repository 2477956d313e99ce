//! One project's part of the walk: its settings, IP access list, auditing, clusters (dedicated,
//! tenant and Flex), team roles, database users, custom roles, events and each cluster's access
//! log; the further paths (invitations, LDAP and X.509, certificates, cloud-provider roles) are
//! read by `paths.rs`.

use std::collections::BTreeMap;

use futures::future::join_all;

use super::raw::{RawAccessLog, RawProject};
use super::{MAX_ACCESS_LOGS, Walk, seg};
use crate::atlas::endpoint as ep;
use crate::atlas::{AtlasError, types};
use crate::model::key;

impl Walk<'_> {
    pub(super) async fn project(&self, project: types::Project) -> RawProject {
        let scope = format!("project:{}", project.id);
        let base = format!("/groups/{}", seg(&project.id));
        let events_q = self.event_query();
        let clusters_and_logs = async {
            let clusters = self.clusters(&scope, &base).await;
            // Atlas keeps no access history on tenant tiers (M0, M2, M5, Flex): not asked for.
            let logs = match &clusters {
                Some(cs) => {
                    join_all(
                        cs.iter()
                            .filter(|c| !c.is_tenant())
                            .map(|c| self.access_log(&project.id, &base, &c.name)),
                    )
                    .await
                }
                None => Vec::new(),
            };
            (clusters, logs)
        };
        let (
            settings,
            access_list,
            audit_log,
            (clusters, access_logs),
            teams,
            (database_users, certificates),
            custom_roles,
            events,
            mut paths,
        ) = futures::join!(
            self.object::<types::ProjectSettings>(
                &scope,
                &ep::PROJECT_SETTINGS,
                format!("{base}/settings")
            ),
            self.all::<types::NetworkEntry>(
                &scope,
                &ep::PROJECT_ACCESS_LIST,
                format!("{base}/accessList"),
                &[]
            ),
            self.object::<types::AuditLog>(
                &scope,
                &ep::PROJECT_AUDIT_LOG,
                format!("{base}/auditLog")
            ),
            clusters_and_logs,
            self.all::<types::TeamRole>(&scope, &ep::PROJECT_TEAMS, format!("{base}/teams"), &[]),
            self.database_users(&project.id, &scope, &base),
            async {
                let path = format!("{base}/customDBRoles/roles");
                self.read(
                    &scope,
                    self.client.get_array(&ep::CUSTOM_DB_ROLES, &path).await,
                )
            },
            self.all::<types::Event>(
                &scope,
                &ep::PROJECT_EVENTS,
                format!("{base}/events"),
                &events_q
            ),
            self.paths(&scope, &base),
        );
        paths.certificates = certificates;
        self.progress.project_done(&project.org_id);
        RawProject {
            project,
            settings,
            access_list,
            audit_log,
            clusters,
            teams,
            database_users,
            custom_roles,
            access_logs,
            events,
            paths,
        }
    }

    /// Every cluster of a project: the clusters listing and the Flex listing (Flex clusters
    /// are listed only there), merged by name. `None` when the clusters listing could not be
    /// read; a Flex listing that could not be read is a gap of its own, and the rules treat the
    /// project's clusters as not fully known.
    pub(super) async fn clusters(&self, scope: &str, base: &str) -> Option<Vec<types::Cluster>> {
        let (dedicated, flex) = futures::join!(
            self.all::<types::Cluster>(
                scope,
                &ep::PROJECT_CLUSTERS,
                format!("{base}/clusters"),
                &[]
            ),
            self.all::<types::Cluster>(
                scope,
                &ep::PROJECT_FLEX_CLUSTERS,
                format!("{base}/flexClusters"),
                &[]
            ),
        );
        let mut clusters = dedicated?;
        for c in flex.into_iter().flatten() {
            if !clusters.iter().any(|d| d.name == c.name) {
                clusters.push(c);
            }
        }
        Some(clusters)
    }

    /// One cluster's access log: everything Atlas still holds. The first request names no window,
    /// so Atlas answers with its newest entries, at most 20,000. A full answer means older entries
    /// were cut: the rest, back to `access_logs_since`, is read in windows that are halved until
    /// each answer fits.
    pub(super) async fn access_log(
        &self,
        project_id: &str,
        base: &str,
        cluster: &str,
    ) -> RawAccessLog {
        let path = format!("{base}/dbAccessHistory/clusters/{}", seg(cluster));
        let scope = key::cluster(project_id, cluster);
        let cap = ("nLogs", MAX_ACCESS_LOGS.to_string());
        let failed = |e: AtlasError| {
            self.gap(scope.clone(), &e);
            RawAccessLog {
                cluster: cluster.into(),
                logs: None,
            }
        };
        let mut all = match self
            .client
            .get_object::<types::AccessLogList>(
                &ep::ACCESS_HISTORY,
                &path,
                std::slice::from_ref(&cap),
            )
            .await
        {
            Ok(list) => list.access_logs,
            Err(e) => return failed(e),
        };
        let mut pending = Vec::new();
        if all.len() >= MAX_ACCESS_LOGS {
            let oldest = all
                .iter()
                .filter_map(types::AccessLog::time)
                .min()
                .unwrap_or(self.opts.now);
            let start = (self.opts.now - self.opts.access_logs_since).as_millisecond();
            let end = oldest.as_millisecond();
            if end > start {
                pending.push((start, end));
            }
        }
        let split = !pending.is_empty();
        while let Some((from, to)) = pending.pop() {
            let query = [
                ("start", from.to_string()),
                ("end", to.to_string()),
                cap.clone(),
            ];
            match self
                .client
                .get_object::<types::AccessLogList>(&ep::ACCESS_HISTORY, &path, &query)
                .await
            {
                Ok(list) if list.access_logs.len() >= MAX_ACCESS_LOGS && to - from > 1_000 => {
                    let mid = from + (to - from) / 2;
                    pending.push((from, mid));
                    pending.push((mid, to));
                }
                Ok(list) => all.extend(list.access_logs),
                Err(e) => return failed(e),
            }
        }
        if !split {
            return RawAccessLog {
                cluster: cluster.into(),
                logs: Some(all),
            };
        }
        // Windows share their boundary millisecond with each other and with the first answer:
        // drop exact repeats. The log line (with its connection and milliseconds) tells apart
        // attempts that `timestamp`, to the second, does not.
        let mut entries: BTreeMap<[String; 6], types::AccessLog> = BTreeMap::new();
        for log in all {
            let text = |v: &Option<String>| v.clone().unwrap_or_default();
            let k = [
                text(&log.timestamp),
                text(&log.log_line),
                text(&log.username),
                text(&log.hostname),
                text(&log.ip_address),
                format!("{:?}", log.auth_result),
            ];
            entries.entry(k).or_insert(log);
        }
        RawAccessLog {
            cluster: cluster.into(),
            logs: Some(entries.into_values().collect()),
        }
    }
}
