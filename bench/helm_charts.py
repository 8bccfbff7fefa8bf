"""Benchmark charts for bench/helm.py, written by our own code.

Public charts cannot be fetched on this machine (no chart repositories, no
GitHub), so the large charts are generated with the shape and size of the ones
users render most:

* ``stack``: an umbrella chart shaped like kube-prometheus-stack -- ~150
  templates of its own (one directory per component, ~35 PrometheusRule files
  of several hundred alerting rules, ~28 dashboard ConfigMaps of embedded JSON,
  exporters' Services/ServiceMonitors, admission-webhook jobs), a
  ``_helpers.tpl`` with dozens of defines, a values.yaml of several thousand
  lines, and four subcharts (a CRD chart with large CRDs in ``crds/``, a
  dashboard server with a big ``_pod.tpl``, a metrics exporter with many
  ``has``-guarded RBAC rules, and a node exporter used twice through aliases).
* ``starter``: ~130 templates built from ``helm create``'s starter (copies of
  its templates with their own helpers, plus starter subcharts), heavy on
  include/tpl/toYaml.

Both are deterministic: the same arguments give the same files.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator

# ---------------------------------------------------------------- helpers


def _write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def _words(rng: random.Random, n: int) -> str:
    vocab = (
        "pod container node namespace cluster job instance service endpoint volume "
        "memory cpu disk network request limit quota replica deployment daemonset "
        "statefulset scrape target alert rule latency error rate budget burn"
    ).split()
    return " ".join(rng.choice(vocab) for _ in range(n))


def _camel(s: str) -> str:
    parts = s.replace("_", "-").split("-")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


# ---------------------------------------------------------------- _helpers.tpl

COMPONENTS = ["alertmanager", "prometheus", "operator", "thanosRuler"]


def _helpers(prefix: str) -> str:
    out = [
        f"""{{{{/* vim: set filetype=mustache: */}}}}
{{{{/* Expand the name of the chart. This is suffixed with -alertmanager, which means subtract 13 from longest 63 available */}}}}
{{{{- define "{prefix}.name" -}}}}
{{{{- default .Chart.Name .Values.nameOverride | trunc 50 | trimSuffix "-" -}}}}
{{{{- end }}}}

{{{{/* Create a default fully qualified app name. */}}}}
{{{{- define "{prefix}.fullname" -}}}}
{{{{- if .Values.fullnameOverride -}}}}
{{{{- .Values.fullnameOverride | trunc 26 | trimSuffix "-" -}}}}
{{{{- else -}}}}
{{{{- $name := default .Chart.Name .Values.nameOverride -}}}}
{{{{- if contains $name .Release.Name -}}}}
{{{{- .Release.Name | trunc 26 | trimSuffix "-" -}}}}
{{{{- else -}}}}
{{{{- printf "%s-%s" .Release.Name $name | trunc 26 | trimSuffix "-" -}}}}
{{{{- end -}}}}
{{{{- end -}}}}
{{{{- end }}}}

{{{{/* Create chart name and version as used by the chart label. */}}}}
{{{{- define "{prefix}.chartref" -}}}}
{{{{- replace "+" "_" .Chart.Version | printf "%s-%s" .Chart.Name -}}}}
{{{{- end }}}}

{{{{/* Generate basic labels */}}}}
{{{{- define "{prefix}.labels" }}}}
app.kubernetes.io/managed-by: {{{{ .Release.Service }}}}
app.kubernetes.io/instance: {{{{ .Release.Name }}}}
app.kubernetes.io/version: "{{{{ replace "+" "_" .Chart.Version }}}}"
app.kubernetes.io/part-of: {{{{ template "{prefix}.name" . }}}}
chart: {{{{ template "{prefix}.chartref" . }}}}
release: {{{{ $.Release.Name | quote }}}}
heritage: {{{{ $.Release.Service | quote }}}}
{{{{- if .Values.commonLabels}}}}
{{{{ toYaml .Values.commonLabels }}}}
{{{{- end }}}}
{{{{- end }}}}

{{{{/* Allow the release namespace to be overridden for multi-namespace deployments in combined charts */}}}}
{{{{- define "{prefix}.namespace" -}}}}
  {{{{- if .Values.namespaceOverride -}}}}
    {{{{- .Values.namespaceOverride -}}}}
  {{{{- else -}}}}
    {{{{- .Release.Namespace -}}}}
  {{{{- end -}}}}
{{{{- end -}}}}

{{{{/* Use the grafana namespace override for multi-namespace deployments in combined charts */}}}}
{{{{- define "{prefix}-grafana.namespace" -}}}}
  {{{{- if .Values.grafana.namespaceOverride -}}}}
    {{{{- .Values.grafana.namespaceOverride -}}}}
  {{{{- else -}}}}
    {{{{- .Release.Namespace -}}}}
  {{{{- end -}}}}
{{{{- end -}}}}

{{{{- define "{prefix}.rulesNamespace" -}}}}
{{{{- default (include "{prefix}.namespace" .) .Values.defaultRules.namespaceOverride -}}}}
{{{{- end -}}}}

{{{{/* Return the appropriate apiVersion for ingress and PodDisruptionBudget */}}}}
{{{{- define "{prefix}.ingress.apiVersion" -}}}}
  {{{{- if and (.Capabilities.APIVersions.Has "networking.k8s.io/v1") (semverCompare ">= 1.19-0" .Capabilities.KubeVersion.Version) -}}}}
      {{{{- print "networking.k8s.io/v1" -}}}}
  {{{{- else if .Capabilities.APIVersions.Has "networking.k8s.io/v1beta1" -}}}}
    {{{{- print "networking.k8s.io/v1beta1" -}}}}
  {{{{- else -}}}}
    {{{{- print "extensions/v1beta1" -}}}}
  {{{{- end -}}}}
{{{{- end -}}}}
{{{{- define "{prefix}.ingress.isStable" -}}}}
  {{{{- eq (include "{prefix}.ingress.apiVersion" .) "networking.k8s.io/v1" -}}}}
{{{{- end -}}}}
{{{{- define "{prefix}.ingress.supportsPathType" -}}}}
  {{{{- or (eq (include "{prefix}.ingress.isStable" .) "true") (and (eq (include "{prefix}.ingress.apiVersion" .) "networking.k8s.io/v1beta1") (semverCompare ">= 1.18-0" .Capabilities.KubeVersion.Version)) -}}}}
{{{{- end -}}}}
{{{{- define "{prefix}.pdb.apiVersion" -}}}}
  {{{{- if and (.Capabilities.APIVersions.Has "policy/v1") (semverCompare ">= 1.21-0" .Capabilities.KubeVersion.Version) -}}}}
    {{{{- print "policy/v1" -}}}}
  {{{{- else -}}}}
    {{{{- print "policy/v1beta1" -}}}}
  {{{{- end -}}}}
{{{{- end -}}}}

{{{{/* Image pull secrets, as a list of names or of objects */}}}}
{{{{- define "{prefix}.imagePullSecrets" -}}}}
{{{{- range .Values.global.imagePullSecrets }}}}
  {{{{- if eq (typeOf .) "map[string]interface {{}}" }}}}
- {{{{ toYaml . | trim }}}}
  {{{{- else }}}}
- name: {{{{ . }}}}
  {{{{- end }}}}
{{{{- end }}}}
{{{{- end -}}}}

{{{{/* An image reference from registry, repository, tag and digest */}}}}
{{{{- define "{prefix}.image" -}}}}
{{{{- $registry := .registry | default "" -}}}}
{{{{- $tag := .tag | default .defaultTag | toString -}}}}
{{{{- if .sha -}}}}
{{{{- if $registry -}}}}{{{{ printf "%s/%s:%s@sha256:%s" $registry .repository $tag .sha }}}}{{{{- else -}}}}{{{{ printf "%s:%s@sha256:%s" .repository $tag .sha }}}}{{{{- end -}}}}
{{{{- else -}}}}
{{{{- if $registry -}}}}{{{{ printf "%s/%s:%s" $registry .repository $tag }}}}{{{{- else -}}}}{{{{ printf "%s:%s" .repository $tag }}}}{{{{- end -}}}}
{{{{- end -}}}}
{{{{- end -}}}}

{{{{- define "{prefix}.kubeVersion" -}}}}
  {{{{- default .Capabilities.KubeVersion.Version .Values.kubeVersionOverride -}}}}
{{{{- end -}}}}

{{{{- define "{prefix}.kubeTargetVersion" -}}}}
  {{{{- default .Capabilities.KubeVersion.GitVersion .Values.kubeTargetVersionOverride }}}}
{{{{- end -}}}}

{{{{/* Labels of the scraped exporters, shared by their ServiceMonitors */}}}}
{{{{- define "{prefix}.exporter.labels" -}}}}
app: {{{{ template "{prefix}.name" .root }}}}-{{{{ .name }}}}
jobLabel: {{{{ .jobLabel | default .name }}}}
{{{{ include "{prefix}.labels" .root }}}}
{{{{- end -}}}}

{{{{/* Relabelings of a ServiceMonitor endpoint */}}}}
{{{{- define "{prefix}.relabelings" -}}}}
{{{{- if .metricRelabelings }}}}
metricRelabelings:
{{{{ tpl (toYaml .metricRelabelings | indent 2) .root }}}}
{{{{- end }}}}
{{{{- if .relabelings }}}}
relabelings:
{{{{ tpl (toYaml .relabelings | indent 2) .root }}}}
{{{{- end }}}}
{{{{- end -}}}}
"""
    ]
    for comp in COMPONENTS:
        short = {"thanosRuler": "thanos-ruler"}.get(comp, comp)
        out.append(
            f"""
{{{{/* Fully qualified name of {comp} */}}}}
{{{{- define "{prefix}.{comp}.fullname" -}}}}
{{{{- if .Values.{comp}.fullnameOverride -}}}}
{{{{- .Values.{comp}.fullnameOverride | trunc 63 | trimSuffix "-" -}}}}
{{{{- else -}}}}
{{{{- print (include "{prefix}.fullname" .) "-{short}" -}}}}
{{{{- end }}}}
{{{{- end }}}}

{{{{- define "{prefix}.{comp}.name" -}}}}
{{{{- printf "%s-{short}" (include "{prefix}.name" .) | trunc 63 | trimSuffix "-" -}}}}
{{{{- end }}}}

{{{{/* Create the name of the {comp} service account to use */}}}}
{{{{- define "{prefix}.{comp}.serviceAccountName" -}}}}
{{{{- if .Values.{comp}.serviceAccount.create -}}}}
    {{{{ default (include "{prefix}.{comp}.fullname" .) .Values.{comp}.serviceAccount.name }}}}
{{{{- else -}}}}
    {{{{ default "default" .Values.{comp}.serviceAccount.name }}}}
{{{{- end -}}}}
{{{{- end -}}}}

{{{{- define "{prefix}.{comp}.selectorLabels" -}}}}
app.kubernetes.io/name: {{{{ include "{prefix}.{comp}.name" . }}}}
app.kubernetes.io/instance: {{{{ .Release.Name }}}}
{{{{- end }}}}

{{{{- define "{prefix}.{comp}.labels" -}}}}
app: {{{{ template "{prefix}.name" . }}}}-{short}
{{{{ include "{prefix}.{comp}.selectorLabels" . }}}}
{{{{ include "{prefix}.labels" . }}}}
{{{{- with .Values.{comp}.labels }}}}
{{{{ toYaml . }}}}
{{{{- end }}}}
{{{{- end }}}}
"""
        )
    return "".join(out)


# ---------------------------------------------------------------- rules


def _rule(rng: random.Random, prefix: str, gkey: str, group: str, i: int) -> str:
    name = f"{gkey[:1].upper()}{gkey[1:]}Rule{i:02d}"
    metric = rng.choice(
        [
            "kube_pod_container_status_restarts_total",
            "container_cpu_usage_seconds_total",
            "kube_deployment_status_replicas_available",
            "node_filesystem_avail_bytes",
            "apiserver_request_total",
            "kubelet_running_pods",
        ]
    )
    window = rng.choice(["5m", "10m", "1h", "6h"])
    return f"""{{{{- if not (.Values.defaultRules.disabled.{name} | default false) }}}}
    - alert: {name}
      annotations:
{{{{- if .Values.defaultRules.additionalRuleAnnotations }}}}
{{{{ toYaml .Values.defaultRules.additionalRuleAnnotations | indent 8 }}}}
{{{{- end }}}}
{{{{- if .Values.defaultRules.additionalRuleGroupAnnotations.{gkey} }}}}
{{{{ toYaml .Values.defaultRules.additionalRuleGroupAnnotations.{gkey} | indent 8 }}}}
{{{{- end }}}}
        description: '{_words(rng, 6)} {{{{`{{{{`}}}} $labels.namespace {{{{`}}}}`}}}}/{{{{`{{{{`}}}} $labels.pod {{{{`}}}}`}}}} ({{{{`{{{{`}}}} $labels.container {{{{`}}}}`}}}}) {_words(rng, 5)}{{{{`{{{{`}}}} with $labels.cluster -{{{{`}}}}`}}}} on cluster {{{{`{{{{`}}}} . {{{{`}}}}`}}}}{{{{`{{{{`}}}}- end {{{{`}}}}`}}}}.'
        runbook_url: {{{{ .Values.defaultRules.runbookUrl }}}}/{group}/{name.lower()}
        summary: {_words(rng, 7)}.
      expr: |-
        sum by (namespace, pod, container, {{{{ range $.Values.defaultRules.additionalAggregationLabels }}}}{{{{ . }}}},{{{{ end }}}}cluster) (
          rate({metric}{{job="{{{{ $kubeStateMetricsJob }}}}", namespace=~"{{{{ $targetNamespace }}}}"}}[{window}])
        ) * 60 * 5 > {rng.randint(0, 100)}
      for: {{{{ dig "{name}" "for" "{rng.choice(["5m", "15m", "1h"])}" .Values.customRules }}}}
      {{{{- with .Values.defaultRules.keepFiringFor }}}}
      keep_firing_for: "{{{{ . }}}}"
      {{{{- end }}}}
      labels:
        severity: {{{{ dig "{name}" "severity" "{rng.choice(["warning", "critical", "info"])}" .Values.customRules }}}}
      {{{{- if or .Values.defaultRules.additionalRuleLabels .Values.defaultRules.additionalRuleGroupLabels.{gkey} }}}}
        {{{{- with .Values.defaultRules.additionalRuleLabels }}}}
          {{{{- toYaml . | nindent 8 }}}}
        {{{{- end }}}}
        {{{{- with .Values.defaultRules.additionalRuleGroupLabels.{gkey} }}}}
          {{{{- toYaml . | nindent 8 }}}}
        {{{{- end }}}}
      {{{{- end }}}}
{{{{- end }}}}
"""


def _record(rng: random.Random, group: str, i: int) -> str:
    return f"""    - expr: |-
        sum by (cluster, namespace, pod, container) (
          irate(container_cpu_usage_seconds_total{{job="{{{{ $.Values.kubelet.jobLabel | default "kubelet" }}}}", metrics_path="/metrics/cadvisor", image!=""}}[{rng.choice(["5m", "1m"])}])
        ) * on (cluster, namespace, pod) group_left(node) topk by (cluster, namespace, pod) (
          1, max by (cluster, namespace, pod, node) (kube_pod_info{{node!=""}})
        )
      record: {group.replace("-", "_")}:rule{i:02d}:sum_irate
      {{{{- if or .Values.defaultRules.additionalRuleLabels .Values.defaultRules.additionalRuleGroupLabels.k8sRecordingRules }}}}
      labels:
        {{{{- with .Values.defaultRules.additionalRuleLabels }}}}
          {{{{- toYaml . | nindent 8 }}}}
        {{{{- end }}}}
      {{{{- end }}}}
"""


RULE_GROUPS = [
    "alertmanager.rules", "config-reloaders", "etcd", "general.rules",
    "k8s.rules.container-cpu-usage", "k8s.rules.container-memory-cache",
    "k8s.rules.container-memory-rss", "k8s.rules.container-resource",
    "k8s.rules.pod-owner", "kube-apiserver-availability.rules",
    "kube-apiserver-burnrate.rules", "kube-apiserver-histogram.rules",
    "kube-apiserver-slos", "kube-prometheus-general.rules",
    "kube-prometheus-node-recording.rules", "kube-scheduler.rules",
    "kube-state-metrics", "kubelet.rules", "kubernetes-apps",
    "kubernetes-resources", "kubernetes-storage", "kubernetes-system-apiserver",
    "kubernetes-system-controller-manager", "kubernetes-system-kube-proxy",
    "kubernetes-system-kubelet", "kubernetes-system-scheduler", "kubernetes-system",
    "node-exporter.rules", "node-exporter", "node-network", "node.rules",
    "prometheus-operator", "prometheus", "windows.node.rules", "windows.pod.rules",
]  # fmt: skip


def _rules_file(rng: random.Random, prefix: str, group: str) -> tuple[str, str]:
    gkey = _camel(group.replace(".", "-"))
    n = rng.randint(4, 28)
    recording = group.endswith(".rules")
    body = "".join(
        _record(rng, group, i) if recording else _rule(rng, prefix, gkey, group, i)
        for i in range(n)
    )
    text = f"""{{{{- /*
Generated by bench/helm_charts.py for the benchmark; shaped like a chart's
generated PrometheusRule files.
*/ -}}}}
{{{{- $kubeStateMetricsJob := include "{prefix}-kube-state-metrics.name" . }}}}
{{{{- $targetNamespace := .Values.defaultRules.appNamespacesTarget }}}}
{{{{- if and (semverCompare ">=1.14.0-0" $.Capabilities.KubeVersion.GitVersion) (semverCompare "<9.9.9-9" $.Capabilities.KubeVersion.GitVersion) }}}}
{{{{- if and .Values.defaultRules.create .Values.defaultRules.rules.{gkey} }}}}
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: {{{{ printf "%s-%s" (include "{prefix}.fullname" .) "{group.replace(".", "-")}" | trunc 63 | trimSuffix "-" }}}}
  namespace: {{{{ template "{prefix}.rulesNamespace" . }}}}
  labels:
    app: {{{{ template "{prefix}.name" . }}}}
{{{{ include "{prefix}.labels" . | indent 4 }}}}
{{{{- if .Values.defaultRules.labels }}}}
{{{{ toYaml .Values.defaultRules.labels | indent 4 }}}}
{{{{- end }}}}
{{{{- if .Values.defaultRules.annotations }}}}
  annotations:
{{{{ toYaml .Values.defaultRules.annotations | indent 4 }}}}
{{{{- end }}}}
spec:
  groups:
  - name: {group}
    {{{{- if .Values.defaultRules.additionalRuleGroupLabels.{gkey} }}}}
    labels:
{{{{ toYaml .Values.defaultRules.additionalRuleGroupLabels.{gkey} | indent 6 }}}}
    {{{{- end }}}}
    rules:
{body}{{{{- end }}}}
{{{{- end }}}}
"""
    return gkey, text


# ---------------------------------------------------------------- dashboards


def _panel(rng: random.Random, pid: int) -> dict[str, object]:
    return {
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "fieldConfig": {
            "defaults": {
                "custom": {
                    "fillOpacity": rng.randint(0, 30),
                    "lineWidth": 1,
                    "showPoints": "never",
                },
                "unit": rng.choice(["bytes", "short", "percentunit", "s", "Bps"]),
                "thresholds": {
                    "mode": "absolute",
                    "steps": [{"color": "green", "value": None}, {"color": "red", "value": 80}],
                },
            },
            "overrides": [],
        },
        "gridPos": {"h": 7, "w": rng.choice([6, 8, 12, 24]), "x": 0, "y": pid * 7},
        "id": pid,
        "interval": "1m",
        "options": {
            "legend": {"asTable": True, "calcs": ["lastNotNull"], "displayMode": "table"},
            "tooltip": {"mode": "multi", "sort": "desc"},
        },
        "pluginVersion": "v11.4.0",
        "targets": [
            {
                "datasource": {"type": "prometheus", "uid": "${datasource}"},
                "expr": f'sum(rate(container_{_words(rng, 1)}_total{{job="kubelet", '
                'metrics_path="/metrics/cadvisor", cluster="$cluster", namespace="$namespace"}'
                f"[$__rate_interval])) by ({rng.choice(['pod', 'container', 'node'])})",
                "legendFormat": "__LEGEND__",
                "refId": chr(65 + k),
            }
            for k in range(rng.randint(1, 4))
        ],
        "title": _words(rng, 3).title(),
        "type": rng.choice(["timeseries", "stat", "table", "gauge"]),
    }


def _dashboard(rng: random.Random, prefix: str, name: str) -> str:
    dash = {
        "__inputs": [],
        "__requires": [],
        "annotations": {"list": []},
        "description": _words(rng, 12),
        "editable": "__EDITABLE__",
        "gnetId": None,
        "graphTooltip": 1,
        "id": None,
        "links": [],
        "panels": [_panel(rng, i) for i in range(rng.randint(8, 30))],
        "refresh": "__REFRESH__",
        "schemaVersion": 39,
        "tags": ["kubernetes-mixin"],
        "templating": {
            "list": [
                {
                    "current": {"selected": True, "text": "default", "value": "default"},
                    "hide": 0,
                    "label": "Data source",
                    "name": "datasource",
                    "query": "prometheus",
                    "regex": "",
                    "type": "datasource",
                },
                {
                    "datasource": {"type": "prometheus", "uid": "${datasource}"},
                    "hide": "__HIDE__",
                    "label": "cluster",
                    "name": "cluster",
                    "query": 'label_values(up{job="kubelet", metrics_path="/metrics/cadvisor"}, cluster)',
                    "refresh": 2,
                    "sort": 1,
                    "type": "query",
                },
            ]
        },
        "time": {"from": "now-1h", "to": "now"},
        "timezone": "__TIMEZONE__",
        "title": f"Kubernetes / {name.replace('-', ' ').title()}",
        "uid": name[:40],
    }
    text = json.dumps(dash, indent=4, sort_keys=True)
    legend = "{{`{{`}}" + "pod" + "{{`}}`}}"
    text = (
        text.replace('"__LEGEND__"', json.dumps(legend))
        .replace('"__EDITABLE__"', "{{ .Values.grafana.defaultDashboardsEditable }}")
        .replace('"__REFRESH__"', '"{{ .Values.grafana.defaultDashboardsInterval }}"')
        .replace('"__TIMEZONE__"', '"{{ .Values.grafana.defaultDashboardsTimezone }}"')
        .replace(
            '"__HIDE__"',
            "{{ if .Values.grafana.sidecar.dashboards.multicluster.global.enabled }}0"
            "{{ else }}2{{ end }}",
        )
    )
    body = "\n".join("    " + line for line in text.splitlines())
    return f"""{{{{- /* Generated by bench/helm_charts.py: a dashboard ConfigMap */ -}}}}
{{{{- if and (or .Values.grafana.enabled .Values.grafana.forceDeployDashboards) (semverCompare ">=1.14.0-0" $.Capabilities.KubeVersion.GitVersion) .Values.grafana.defaultDashboardsEnabled }}}}
apiVersion: v1
kind: ConfigMap
metadata:
  namespace: {{{{ template "{prefix}-grafana.namespace" . }}}}
  name: {{{{ printf "%s-%s" (include "{prefix}.fullname" $) "{name}" | trunc 63 | trimSuffix "-" }}}}
  annotations:
{{{{ toYaml .Values.grafana.sidecar.dashboards.annotations | indent 4 }}}}
  labels:
    {{{{- if $.Values.grafana.sidecar.dashboards.label }}}}
    {{{{ $.Values.grafana.sidecar.dashboards.label }}}}: {{{{ ternary $.Values.grafana.sidecar.dashboards.labelValue "1" (not (empty $.Values.grafana.sidecar.dashboards.labelValue)) | quote }}}}
    {{{{- end }}}}
    app: {{{{ template "{prefix}.name" $ }}}}-grafana
{{{{ include "{prefix}.labels" $ | indent 4 }}}}
data:
  {name}.json: |-
{body}
{{{{- end }}}}
"""


# ---------------------------------------------------------------- component templates


def _component_templates(prefix: str, comp: str, kind: str) -> dict[str, str]:
    """The Service/ServiceAccount/RBAC/ServiceMonitor/Ingress/PDB/CR family of one
    component (alertmanager, prometheus, thanosRuler, operator)."""
    v = f".Values.{comp}"
    full = f'include "{prefix}.{comp}.fullname" .'
    lbl = f'include "{prefix}.{comp}.labels" . | nindent 4'
    head = f"""metadata:
  name: {{{{ {full} }}}}
  namespace: {{{{ template "{prefix}.namespace" . }}}}
  labels:
    {{{{- {lbl} }}}}
"""
    t: dict[str, str] = {}
    t["service.yaml"] = f"""{{{{- if and {v}.enabled {v}.service.enabled }}}}
apiVersion: v1
kind: Service
{head}{{{{- if {v}.service.annotations }}}}
  annotations:
{{{{ toYaml {v}.service.annotations | indent 4 }}}}
{{{{- end }}}}
spec:
{{{{- if {v}.service.clusterIP }}}}
  clusterIP: {{{{ {v}.service.clusterIP }}}}
{{{{- end }}}}
{{{{- if {v}.service.externalIPs }}}}
  externalIPs:
{{{{ toYaml {v}.service.externalIPs | indent 4 }}}}
{{{{- end }}}}
  ports:
  - name: {{{{ {v}.service.portName }}}}
    {{{{- if eq {v}.service.type "NodePort" }}}}
    nodePort: {{{{ {v}.service.nodePort }}}}
    {{{{- end }}}}
    port: {{{{ {v}.service.port }}}}
    targetPort: {{{{ {v}.service.targetPort }}}}
    protocol: TCP
{{{{- range $i, $p := {v}.service.additionalPorts }}}}
  - name: {{{{ $p.name }}}}
    port: {{{{ $p.port }}}}
    targetPort: {{{{ $p.targetPort | default $p.port }}}}
{{{{- end }}}}
  selector:
    {{{{- include "{prefix}.{comp}.selectorLabels" . | nindent 4 }}}}
{{{{- if {v}.service.sessionAffinity }}}}
  sessionAffinity: {{{{ {v}.service.sessionAffinity }}}}
{{{{- end }}}}
  type: "{{{{ {v}.service.type }}}}"
{{{{- end }}}}
"""
    t["serviceaccount.yaml"] = f"""{{{{- if and {v}.enabled {v}.serviceAccount.create }}}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{{{ template "{prefix}.{comp}.serviceAccountName" . }}}}
  namespace: {{{{ template "{prefix}.namespace" . }}}}
  labels:
    {{{{- {lbl} }}}}
{{{{- if {v}.serviceAccount.annotations }}}}
  annotations:
{{{{ toYaml {v}.serviceAccount.annotations | indent 4 }}}}
{{{{- end }}}}
automountServiceAccountToken: {{{{ {v}.serviceAccount.automountServiceAccountToken }}}}
{{{{- if .Values.global.imagePullSecrets }}}}
imagePullSecrets:
{{{{ include "{prefix}.imagePullSecrets" . | trim | indent 2 }}}}
{{{{- end }}}}
{{{{- end }}}}
"""
    t["servicemonitor.yaml"] = f"""{{{{- if and {v}.enabled {v}.serviceMonitor.selfMonitor }}}}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
{head}spec:
  {{{{- include "{prefix}.servicemonitor.scrapeLimits" {v}.serviceMonitor | nindent 2 }}}}
  selector:
    matchLabels:
      {{{{- include "{prefix}.{comp}.selectorLabels" . | nindent 6 }}}}
      self-monitor: "true"
  namespaceSelector:
    matchNames:
      - {{{{ printf "%s" (include "{prefix}.namespace" .) | quote }}}}
  endpoints:
  - port: {{{{ {v}.service.portName }}}}
    {{{{- if {v}.serviceMonitor.interval }}}}
    interval: {{{{ {v}.serviceMonitor.interval }}}}
    {{{{- end }}}}
    {{{{- if {v}.serviceMonitor.scheme }}}}
    scheme: {{{{ {v}.serviceMonitor.scheme }}}}
    {{{{- end }}}}
    path: "{{{{ trimSuffix "/" {v}.spec.routePrefix }}}}/metrics"
{{{{- if {v}.serviceMonitor.tlsConfig }}}}
    tlsConfig:
{{{{ toYaml {v}.serviceMonitor.tlsConfig | indent 6 }}}}
{{{{- end }}}}
{{{{ include "{prefix}.relabelings" (dict "root" . "metricRelabelings" {v}.serviceMonitor.metricRelabelings "relabelings" {v}.serviceMonitor.relabelings) | indent 4 }}}}
{{{{- end }}}}
"""
    t["ingress.yaml"] = f"""{{{{- if and {v}.enabled {v}.ingress.enabled }}}}
{{{{- $serviceName := {full} }}}}
{{{{- $servicePort := {v}.service.port -}}}}
{{{{- $routePrefix := list {v}.spec.routePrefix }}}}
{{{{- $paths := {v}.ingress.paths | default $routePrefix -}}}}
{{{{- $apiIsStable := eq (include "{prefix}.ingress.isStable" .) "true" -}}}}
{{{{- $ingressSupportsPathType := eq (include "{prefix}.ingress.supportsPathType" .) "true" -}}}}
apiVersion: {{{{ include "{prefix}.ingress.apiVersion" . }}}}
kind: Ingress
{head}spec:
  {{{{- if $apiIsStable }}}}
  {{{{- if {v}.ingress.ingressClassName }}}}
  ingressClassName: {{{{ {v}.ingress.ingressClassName }}}}
  {{{{- end }}}}
  {{{{- end }}}}
  rules:
  {{{{- range $host := {v}.ingress.hosts }}}}
    - host: {{{{ tpl $host $ | quote }}}}
      http:
        paths:
  {{{{- range $p := $paths }}}}
          - path: {{{{ tpl $p $ }}}}
            {{{{- if $ingressSupportsPathType }}}}
            pathType: {{{{ $.Values.{comp}.ingress.pathType }}}}
            {{{{- end }}}}
            backend:
              service:
                name: {{{{ $serviceName }}}}
                port:
                  number: {{{{ $servicePort }}}}
  {{{{- end -}}}}
  {{{{- end -}}}}
{{{{- end }}}}
"""
    t[
        "podDisruptionBudget.yaml"
    ] = f"""{{{{- if and {v}.enabled {v}.podDisruptionBudget.enabled }}}}
apiVersion: {{{{ include "{prefix}.pdb.apiVersion" . }}}}
kind: PodDisruptionBudget
{head}spec:
  {{{{- if {v}.podDisruptionBudget.minAvailable }}}}
  minAvailable: {{{{ {v}.podDisruptionBudget.minAvailable }}}}
  {{{{- end }}}}
  {{{{- if {v}.podDisruptionBudget.maxUnavailable }}}}
  maxUnavailable: {{{{ {v}.podDisruptionBudget.maxUnavailable }}}}
  {{{{- end }}}}
  selector:
    matchLabels:
      {{{{- include "{prefix}.{comp}.selectorLabels" . | nindent 6 }}}}
{{{{- end }}}}
"""
    for rbac in ("clusterrole", "clusterrolebinding", "role", "rolebinding"):
        kname = {"clusterrole": "ClusterRole", "clusterrolebinding": "ClusterRoleBinding"}.get(
            rbac, rbac.capitalize().replace("binding", "Binding")
        )
        body = (
            f"""roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: {kname.replace("Binding", "")}
  name: {{{{ {full} }}}}
subjects:
  - kind: ServiceAccount
    name: {{{{ template "{prefix}.{comp}.serviceAccountName" . }}}}
    namespace: {{{{ template "{prefix}.namespace" . }}}}
"""
            if "binding" in rbac
            else f"""rules:
{{{{- range $group, $resources := dict "" (list "services" "endpoints" "pods" "configmaps" "secrets") "apps" (list "statefulsets" "deployments") "monitoring.coreos.com" (list "alertmanagers" "prometheuses" "thanosrulers" "servicemonitors" "podmonitors" "probes" "prometheusrules") }}}}
- apiGroups: [{{{{ $group | quote }}}}]
  resources:
  {{{{- range $resources }}}}
  - {{{{ . }}}}
  {{{{- end }}}}
  verbs: ["get", "list", "watch"{{{{ if eq $group "monitoring.coreos.com" }}}}, "create", "update", "patch", "delete"{{{{ end }}}}]
{{{{- end }}}}
{{{{- with {v}.additionalRulesForClusterRole }}}}
{{{{ toYaml . }}}}
{{{{- end }}}}
"""
        )
        t[f"{rbac}.yaml"] = f"""{{{{- if and {v}.enabled .Values.global.rbac.create }}}}
apiVersion: rbac.authorization.k8s.io/v1
kind: {kname}
metadata:
  name: {{{{ {full} }}}}
  {{{{- if not (hasPrefix "cluster" "{rbac}") }}}}
  namespace: {{{{ template "{prefix}.namespace" . }}}}
  {{{{- end }}}}
  labels:
    {{{{- {lbl} }}}}
{body}{{{{- end }}}}
"""
    t["extrasecret.yaml"] = f"""{{{{- if {v}.extraSecret.data -}}}}
{{{{- $secretName := printf "{comp}-%s-extra" (include "{prefix}.fullname" . ) -}}}}
apiVersion: v1
kind: Secret
metadata:
  name: {{{{ default $secretName {v}.extraSecret.name }}}}
  namespace: {{{{ template "{prefix}.namespace" . }}}}
data:
{{{{- range $key, $val := {v}.extraSecret.data }}}}
  {{{{ $key }}}}: {{{{ $val | b64enc | quote }}}}
{{{{- end }}}}
{{{{- end }}}}
"""
    t["networkpolicy.yaml"] = f"""{{{{- if and {v}.enabled {v}.networkPolicy.enabled }}}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
{head}spec:
  podSelector:
    matchLabels:
      {{{{- include "{prefix}.{comp}.selectorLabels" . | nindent 6 }}}}
  policyTypes:
    {{{{- toYaml {v}.networkPolicy.policyTypes | nindent 4 }}}}
  ingress:
  {{{{- range {v}.networkPolicy.ingress }}}}
    - from:
      {{{{- toYaml .from | nindent 8 }}}}
      ports:
      {{{{- range .ports }}}}
        - port: {{{{ .port }}}}
          protocol: {{{{ .protocol | default "TCP" }}}}
      {{{{- end }}}}
  {{{{- end }}}}
{{{{- end }}}}
"""
    t[f"{kind.lower()}.yaml"] = f"""{{{{- if {v}.enabled }}}}
apiVersion: monitoring.coreos.com/v1
kind: {kind}
{head}{{{{- if {v}.annotations }}}}
  annotations:
{{{{ toYaml {v}.annotations | indent 4 }}}}
{{{{- end }}}}
spec:
{{{{- $image := dict "registry" (.Values.global.imageRegistry | default {v}.image.registry) "repository" {v}.image.repository "tag" {v}.image.tag "sha" {v}.image.sha "defaultTag" .Chart.AppVersion }}}}
  image: "{{{{ include "{prefix}.image" $image }}}}"
  version: {{{{ default .Chart.AppVersion {v}.image.tag }}}}
  replicas: {{{{ {v}.spec.replicas }}}}
  serviceAccountName: {{{{ template "{prefix}.{comp}.serviceAccountName" . }}}}
{{{{- range $key, $value := {v}.spec }}}}
{{{{- if and (not (has $key (list "replicas" "routePrefix" "resources" "storage" "podMetadata"))) (not (kindIs "invalid" $value)) }}}}
{{{{- if or (kindIs "map" $value) (kindIs "slice" $value) }}}}
  {{{{ $key }}}}:
{{{{ tpl (toYaml $value) $ | indent 4 }}}}
{{{{- else }}}}
  {{{{ $key }}}}: {{{{ $value | toJson }}}}
{{{{- end }}}}
{{{{- end }}}}
{{{{- end }}}}
  routePrefix: {{{{ {v}.spec.routePrefix | quote }}}}
  podMetadata:
    labels:
      {{{{- include "{prefix}.{comp}.selectorLabels" . | nindent 6 }}}}
{{{{- with {v}.spec.podMetadata.labels }}}}
{{{{ toYaml . | indent 6 }}}}
{{{{- end }}}}
{{{{- if {v}.spec.resources }}}}
  resources:
{{{{ toYaml {v}.spec.resources | indent 4 }}}}
{{{{- end }}}}
{{{{- if {v}.spec.storage }}}}
  storage:
{{{{ tpl (toYaml {v}.spec.storage | indent 4) . }}}}
{{{{- end }}}}
  affinity:
{{{{- if eq {v}.podAntiAffinity "hard" }}}}
    podAntiAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
      - topologyKey: {{{{ {v}.podAntiAffinityTopologyKey }}}}
        labelSelector:
          matchExpressions:
            - {{{{ "{{key: app.kubernetes.io/name, operator: In, values: [" }}}}{{{{ include "{prefix}.{comp}.name" . }}}}{{{{ "]}}" }}}}
{{{{- else if eq {v}.podAntiAffinity "soft" }}}}
    podAntiAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          topologyKey: {{{{ {v}.podAntiAffinityTopologyKey }}}}
          labelSelector:
            matchLabels:
              {{{{- include "{prefix}.{comp}.selectorLabels" . | nindent 14 }}}}
{{{{- end }}}}
{{{{- end }}}}
"""
    return t


def _exporter_templates(prefix: str, name: str, port: int) -> dict[str, str]:
    key = _camel(name)
    v = f".Values.{key}"
    return {
        "service.yaml": f"""{{{{- if and {v}.enabled {v}.service.enabled }}}}
apiVersion: v1
kind: Service
metadata:
  name: {{{{ template "{prefix}.fullname" . }}}}-{name}
  labels:
    {{{{- include "{prefix}.exporter.labels" (dict "root" . "name" "{name}" "jobLabel" {v}.jobLabel) | nindent 4 }}}}
  namespace: kube-system
spec:
  clusterIP: None
  {{{{- if {v}.service.ipDualStack.enabled }}}}
  ipFamilies: {{{{ toYaml {v}.service.ipDualStack.ipFamilies | nindent 4 }}}}
  ipFamilyPolicy: {{{{ {v}.service.ipDualStack.ipFamilyPolicy }}}}
  {{{{- end }}}}
  ports:
    - name: {{{{ {v}.serviceMonitor.port | default "http-metrics" }}}}
      port: {{{{ {v}.service.port | default {port} }}}}
      protocol: TCP
      targetPort: {{{{ {v}.service.targetPort | default {port} }}}}
{{{{- if {v}.endpoints }}}}{{{{- else }}}}
  selector:
    {{{{- if {v}.service.selector }}}}
{{{{ toYaml {v}.service.selector | indent 4 }}}}
    {{{{- else }}}}
    component: {name}
    {{{{- end }}}}
{{{{- end }}}}
  type: ClusterIP
{{{{- end }}}}
""",
        "servicemonitor.yaml": f"""{{{{- if and {v}.enabled {v}.serviceMonitor.enabled }}}}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{{{ template "{prefix}.fullname" . }}}}-{name}
  namespace: {{{{ template "{prefix}.namespace" . }}}}
  labels:
    {{{{- include "{prefix}.exporter.labels" (dict "root" . "name" "{name}") | nindent 4 }}}}
{{{{- with {v}.serviceMonitor.additionalLabels }}}}
{{{{ toYaml . | indent 4 }}}}
{{{{- end }}}}
spec:
  jobLabel: jobLabel
  {{{{- include "{prefix}.servicemonitor.scrapeLimits" {v}.serviceMonitor | nindent 2 }}}}
  selector:
    {{{{- if {v}.serviceMonitor.selector }}}}
    {{{{ tpl (toYaml {v}.serviceMonitor.selector | nindent 4) . }}}}
    {{{{- else }}}}
    matchLabels:
      app: {{{{ template "{prefix}.name" . }}}}-{name}
      release: {{{{ $.Release.Name | quote }}}}
    {{{{- end }}}}
  namespaceSelector:
    matchNames:
      - "kube-system"
  endpoints:
  - port: {{{{ {v}.serviceMonitor.port | default "http-metrics" }}}}
    {{{{- if {v}.serviceMonitor.interval }}}}
    interval: {{{{ {v}.serviceMonitor.interval }}}}
    {{{{- end }}}}
    bearerTokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token
    {{{{- if {v}.serviceMonitor.https }}}}
    scheme: https
    tlsConfig:
      caFile: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt
      {{{{- if {v}.serviceMonitor.insecureSkipVerify }}}}
      insecureSkipVerify: {{{{ {v}.serviceMonitor.insecureSkipVerify }}}}
      {{{{- end }}}}
    {{{{- end }}}}
{{{{ include "{prefix}.relabelings" (dict "root" . "metricRelabelings" {v}.serviceMonitor.metricRelabelings "relabelings" {v}.serviceMonitor.relabelings) | indent 4 }}}}
{{{{- end }}}}
""",
        "endpoints.yaml": f"""{{{{- if and {v}.enabled {v}.endpoints }}}}
apiVersion: v1
kind: Endpoints
metadata:
  name: {{{{ template "{prefix}.fullname" . }}}}-{name}
  labels:
    {{{{- include "{prefix}.exporter.labels" (dict "root" . "name" "{name}") | nindent 4 }}}}
  namespace: kube-system
subsets:
  - addresses:
      {{{{- range {v}.endpoints }}}}
      - ip: {{{{ . }}}}
      {{{{- end }}}}
    ports:
      - name: {{{{ {v}.serviceMonitor.port | default "http-metrics" }}}}
        port: {{{{ {v}.service.port | default {port} }}}}
        protocol: TCP
{{{{- end }}}}
""",
    }


EXPORTERS = [
    ("core-dns", 9153), ("kube-api-server", 6443), ("kube-controller-manager", 10257),
    ("kube-dns", 10054), ("kube-etcd", 2381), ("kube-proxy", 10249),
    ("kube-scheduler", 10259), ("kubelet", 10250),
]  # fmt: skip


def _operator_extra(prefix: str) -> dict[str, str]:
    v = ".Values.operator"
    out: dict[str, str] = {}
    out[
        "deployment.yaml"
    ] = f"""{{{{- $namespace := printf "%s" (include "{prefix}.namespace" .) }}}}
{{{{- if {v}.enabled }}}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{{{ template "{prefix}.operator.fullname" . }}}}
  namespace: {{{{ $namespace }}}}
  labels:
    {{{{- include "{prefix}.operator.labels" . | nindent 4 }}}}
spec:
  replicas: 1
  revisionHistoryLimit: {{{{ {v}.revisionHistoryLimit }}}}
  selector:
    matchLabels:
      {{{{- include "{prefix}.operator.selectorLabels" . | nindent 6 }}}}
  template:
    metadata:
      labels:
        {{{{- include "{prefix}.operator.selectorLabels" . | nindent 8 }}}}
{{{{- if {v}.podLabels }}}}
{{{{ toYaml {v}.podLabels | indent 8 }}}}
{{{{- end }}}}
    spec:
      containers:
        - name: {{{{ template "{prefix}.name" . }}}}
          {{{{- $image := dict "registry" (.Values.global.imageRegistry | default {v}.image.registry) "repository" {v}.image.repository "tag" {v}.image.tag "sha" {v}.image.sha "defaultTag" .Chart.AppVersion }}}}
          image: "{{{{ include "{prefix}.image" $image }}}}"
          imagePullPolicy: "{{{{ {v}.image.pullPolicy }}}}"
          args:
            {{{{- if semverCompare "< 1.21.0-0" .Capabilities.KubeVersion.Version }}}}
            - --kubelet-endpoints=false
            {{{{- end }}}}
            {{{{- if {v}.kubeletService.enabled }}}}
            - --kubelet-service={{{{ {v}.kubeletService.namespace }}}}/{{{{ default (include "{prefix}.fullname" .) {v}.kubeletService.name }}}}-kubelet
            {{{{- end }}}}
            {{{{- range $flag, $value := {v}.extraArgs }}}}
            - --{{{{ $flag }}}}={{{{ $value }}}}
            {{{{- end }}}}
            - --localhost=127.0.0.1
            - --prometheus-config-reloader={{{{ include "{prefix}.image" (dict "registry" {v}.prometheusConfigReloader.image.registry "repository" {v}.prometheusConfigReloader.image.repository "tag" {v}.prometheusConfigReloader.image.tag "defaultTag" .Chart.AppVersion) }}}}
            - --config-reloader-cpu-request={{{{ {v}.prometheusConfigReloader.resources.requests.cpu }}}}
            - --config-reloader-memory-request={{{{ {v}.prometheusConfigReloader.resources.requests.memory }}}}
            {{{{- if {v}.namespaces }}}}
            - --namespaces={{{{ join "," {v}.namespaces.additional }}}}
            {{{{- end }}}}
          ports:
            - containerPort: 10250
              name: https
          env:
          {{{{- range $key, $value := {v}.env }}}}
            - name: {{{{ $key }}}}
              value: {{{{ $value | quote }}}}
          {{{{- end }}}}
          resources:
{{{{ toYaml {v}.resources | indent 12 }}}}
          securityContext:
{{{{ toYaml {v}.containerSecurityContext | indent 12 }}}}
          volumeMounts:
            - name: tls-secret
              mountPath: /cert
              readOnly: true
      volumes:
        - name: tls-secret
          secret:
            defaultMode: 420
            secretName: {{{{ template "{prefix}.operator.fullname" . }}}}-admission
{{{{- with {v}.nodeSelector }}}}
      nodeSelector:
{{{{ toYaml . | indent 8 }}}}
{{{{- end }}}}
{{{{- with {v}.tolerations }}}}
      tolerations:
{{{{ toYaml . | indent 8 }}}}
{{{{- end }}}}
      serviceAccountName: {{{{ template "{prefix}.operator.serviceAccountName" . }}}}
      automountServiceAccountToken: true
{{{{- end }}}}
"""
    for hook in (
        "job-createSecret", "job-patchWebhook", "clusterrole", "clusterrolebinding",
        "role", "rolebinding", "serviceaccount", "networkpolicy-createSecret",
    ):  # fmt: skip
        out[
            f"admission-webhooks/job-patch/{hook}.yaml"
        ] = f"""{{{{- if and {v}.admissionWebhooks.enabled {v}.admissionWebhooks.patch.enabled (not {v}.admissionWebhooks.certManager.enabled) }}}}
apiVersion: {"batch/v1" if hook.startswith("job") else "v1"}
kind: {"Job" if hook.startswith("job") else "ConfigMap"}
metadata:
  name:  {{{{ template "{prefix}.operator.fullname" . }}}}-admission-{hook.lower()}
  namespace: {{{{ template "{prefix}.namespace" . }}}}
  annotations:
    "helm.sh/hook": pre-install,pre-upgrade,post-install,post-upgrade
    "helm.sh/hook-delete-policy": before-hook-creation,hook-succeeded
    {{{{- with {v}.admissionWebhooks.patch.annotations }}}}
{{{{ toYaml . | indent 4 }}}}
    {{{{- end }}}}
  labels:
    app: {{{{ template "{prefix}.name" $ }}}}-admission-{hook.lower()}
    {{{{- include "{prefix}.labels" $ | indent 4 }}}}
{"spec:" if hook.startswith("job") else "data:"}
{{{{- if "{hook}" | hasPrefix "job" }}}}
  {{{{- if .Capabilities.APIVersions.Has "batch/v1/Job" }}}}
  ttlSecondsAfterFinished: {{{{ {v}.admissionWebhooks.patch.ttlSecondsAfterFinished }}}}
  {{{{- end }}}}
  template:
    metadata:
      name:  {{{{ template "{prefix}.operator.fullname" . }}}}-admission-{hook.lower()}
{{{{- with {v}.admissionWebhooks.patch.podAnnotations }}}}
      annotations:
{{{{ toYaml .  | indent 8 }}}}
{{{{- end }}}}
    spec:
      containers:
        - name: {hook.lower()}
          {{{{- $image := dict "registry" (.Values.global.imageRegistry | default {v}.admissionWebhooks.patch.image.registry) "repository" {v}.admissionWebhooks.patch.image.repository "tag" {v}.admissionWebhooks.patch.image.tag "sha" {v}.admissionWebhooks.patch.image.sha }}}}
          image: {{{{ include "{prefix}.image" $image }}}}
          imagePullPolicy: {{{{ {v}.admissionWebhooks.patch.image.pullPolicy }}}}
          args:
            - {{{{ if eq "{hook}" "job-createSecret" }}}}create{{{{ else }}}}patch{{{{ end }}}}
            - --host={{{{ template "{prefix}.operator.fullname" . }}}},{{{{ template "{prefix}.operator.fullname" . }}}}.{{{{ template "{prefix}.namespace" . }}}}.svc
            - --namespace={{{{ template "{prefix}.namespace" . }}}}
            - --secret-name={{{{ template "{prefix}.operator.fullname" . }}}}-admission
          resources:
{{{{ toYaml {v}.admissionWebhooks.patch.resources | indent 12 }}}}
      restartPolicy: OnFailure
      serviceAccountName: {{{{ template "{prefix}.operator.fullname" . }}}}-admission
{{{{- else }}}}
  hook: {{{{ "{hook}" | quote }}}}
{{{{- end }}}}
{{{{- end }}}}
"""
    for kind in ("mutatingWebhookConfiguration", "validatingWebhookConfiguration"):
        out[f"admission-webhooks/{kind}.yaml"] = f"""{{{{- if and {v}.admissionWebhooks.enabled }}}}
apiVersion: admissionregistration.k8s.io/v1
kind: {kind[0].upper() + kind[1:]}
metadata:
  name:  {{{{ template "{prefix}.operator.fullname" . }}}}-admission
  {{{{- if {v}.admissionWebhooks.certManager.enabled }}}}
  annotations:
    certmanager.k8s.io/inject-ca-from: {{{{ printf "%s/%s-root-cert" .Release.Namespace (include "{prefix}.operator.fullname" .) | quote }}}}
  {{{{- end }}}}
  labels:
    app: {{{{ template "{prefix}.name" $ }}}}-admission
    {{{{- include "{prefix}.labels" $ | indent 4 }}}}
webhooks:
{{{{- range $kind := list "prometheusrule" "alertmanagerconfig" }}}}
  - name: {{{{ $kind }}}}{kind[:4].lower()}.monitoring.coreos.com
    {{{{- if $.Values.operator.admissionWebhooks.patch.enabled }}}}
    failurePolicy: Ignore
    {{{{- else }}}}
    failurePolicy: {{{{ $.Values.operator.admissionWebhooks.failurePolicy }}}}
    {{{{- end }}}}
    rules:
      - apiGroups: ["monitoring.coreos.com"]
        apiVersions: ["*"]
        resources: [{{{{ printf "%ss" $kind | quote }}}}]
        operations: ["CREATE", "UPDATE"]
    clientConfig:
      service:
        namespace: {{{{ template "{prefix}.namespace" $ }}}}
        name: {{{{ template "{prefix}.operator.fullname" $ }}}}
        path: /admission-{{{{ $kind }}}}s/{kind[:6].lower()}
      {{{{- if and $.Values.operator.admissionWebhooks.caBundle (not $.Values.operator.admissionWebhooks.patch.enabled) (not $.Values.operator.admissionWebhooks.certManager.enabled) }}}}
      caBundle: {{{{ $.Values.operator.admissionWebhooks.caBundle }}}}
      {{{{- end }}}}
    timeoutSeconds: {{{{ $.Values.operator.admissionWebhooks.timeoutSeconds }}}}
    admissionReviewVersions: ["v1", "v1beta1"]
    sideEffects: None
{{{{- end }}}}
{{{{- end }}}}
"""
    return out


def _grafana_parent(prefix: str) -> dict[str, str]:
    """The parent chart's Grafana integration besides the dashboards."""
    return {
        "configmaps-datasources.yaml": f"""{{{{- if or (and .Values.grafana.enabled .Values.grafana.sidecar.datasources.enabled) .Values.grafana.forceDeployDatasources }}}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{{{ template "{prefix}.fullname" . }}}}-grafana-datasource
  namespace: {{{{ template "{prefix}-grafana.namespace" . }}}}
  labels:
    {{{{ $.Values.grafana.sidecar.datasources.label }}}}: {{{{ $.Values.grafana.sidecar.datasources.labelValue | quote }}}}
    app: {{{{ template "{prefix}.name" $ }}}}-grafana
{{{{ include "{prefix}.labels" $ | indent 4 }}}}
data:
  datasource.yaml: |-
    apiVersion: 1
    datasources:
{{{{- $scrapeInterval := .Values.grafana.sidecar.datasources.defaultDatasourceScrapeInterval | default .Values.prometheus.spec.scrapeInterval | default "30s" }}}}
{{{{- if .Values.grafana.sidecar.datasources.defaultDatasourceEnabled }}}}
    - name: "{{{{ .Values.grafana.sidecar.datasources.name }}}}"
      type: prometheus
      uid: {{{{ .Values.grafana.sidecar.datasources.uid }}}}
      {{{{- if .Values.grafana.sidecar.datasources.url }}}}
      url: {{{{ .Values.grafana.sidecar.datasources.url }}}}
      {{{{- else }}}}
      url: http://{{{{ template "{prefix}.prometheus.fullname" . }}}}.{{{{ template "{prefix}.namespace" . }}}}:{{{{ .Values.prometheus.service.port }}}}/{{{{ trimPrefix "/" .Values.prometheus.spec.routePrefix }}}}
      {{{{- end }}}}
      access: proxy
      isDefault: {{{{ .Values.grafana.sidecar.datasources.isDefaultDatasource }}}}
      jsonData:
        httpMethod: {{{{ .Values.grafana.sidecar.datasources.httpMethod }}}}
        timeInterval: {{{{ $scrapeInterval }}}}
{{{{- end }}}}
{{{{- if .Values.grafana.additionalDataSources }}}}
{{{{ tpl (toYaml .Values.grafana.additionalDataSources | indent 4) . }}}}
{{{{- end }}}}
{{{{- end }}}}
""",
        "configmap-dashboards.yaml": f"""{{{{- if or (and .Values.grafana.enabled .Values.grafana.defaultDashboardsEnabled) .Values.grafana.forceDeployDashboards }}}}
{{{{- $files := .Files.Glob "dashboards-1.14/*.json" }}}}
{{{{- if $files }}}}
apiVersion: v1
kind: ConfigMapList
items:
{{{{- range $path, $fileContents := $files }}}}
{{{{- $dashboardName := regexReplaceAll "(^.*/)(.*)\\\\.json$" $path "${{2}}" }}}}
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: {{{{ printf "%s-%s" (include "{prefix}.fullname" $) $dashboardName | trunc 63 | trimSuffix "-" }}}}
    namespace: {{{{ template "{prefix}-grafana.namespace" $ }}}}
  data:
    {{{{ $dashboardName }}}}.json: {{{{ $.Files.Get $path | toJson }}}}
{{{{- end }}}}
{{{{- end }}}}
{{{{- end }}}}
""",
    }


# ---------------------------------------------------------------- subcharts


def _sub_helpers(name: str) -> str:
    return f"""{{{{/* Expand the name of the chart. */}}}}
{{{{- define "{name}.name" -}}}}
{{{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}}}
{{{{- end }}}}

{{{{- define "{name}.fullname" -}}}}
{{{{- if .Values.fullnameOverride }}}}
{{{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}}}
{{{{- else }}}}
{{{{- $name := default .Chart.Name .Values.nameOverride }}}}
{{{{- if contains $name .Release.Name }}}}
{{{{- .Release.Name | trunc 63 | trimSuffix "-" }}}}
{{{{- else }}}}
{{{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}}}
{{{{- end }}}}
{{{{- end }}}}
{{{{- end }}}}

{{{{- define "{name}.chart" -}}}}
{{{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}}}
{{{{- end }}}}

{{{{- define "{name}.namespace" -}}}}
{{{{- if .Values.namespaceOverride }}}}
{{{{- .Values.namespaceOverride }}}}
{{{{- else }}}}
{{{{- .Release.Namespace }}}}
{{{{- end }}}}
{{{{- end }}}}

{{{{- define "{name}.selectorLabels" -}}}}
app.kubernetes.io/name: {{{{ include "{name}.name" . }}}}
app.kubernetes.io/instance: {{{{ .Release.Name }}}}
{{{{- end }}}}

{{{{- define "{name}.labels" -}}}}
helm.sh/chart: {{{{ include "{name}.chart" . }}}}
{{{{ include "{name}.selectorLabels" . }}}}
{{{{- if or .Chart.AppVersion .Values.image.tag }}}}
app.kubernetes.io/version: {{{{ mustRegexReplaceAllLiteral "@sha.*" .Values.image.tag "" | default .Chart.AppVersion | trunc 63 | trimSuffix "-" | quote }}}}
{{{{- end }}}}
app.kubernetes.io/managed-by: {{{{ .Release.Service }}}}
{{{{- with .Values.extraLabels }}}}
{{{{ toYaml . }}}}
{{{{- end }}}}
{{{{- end }}}}

{{{{- define "{name}.serviceAccountName" -}}}}
{{{{- if .Values.serviceAccount.create }}}}
{{{{- default (include "{name}.fullname" .) .Values.serviceAccount.name }}}}
{{{{- else }}}}
{{{{- default "default" .Values.serviceAccount.name }}}}
{{{{- end }}}}
{{{{- end }}}}

{{{{- define "{name}.image" -}}}}
{{{{- $tag := .Values.image.tag | default .Chart.AppVersion | toString -}}}}
{{{{- if .Values.image.sha -}}}}
{{{{- printf "%s/%s:%s@%s" .Values.image.registry .Values.image.repository $tag .Values.image.sha -}}}}
{{{{- else -}}}}
{{{{- printf "%s/%s:%s" .Values.image.registry .Values.image.repository $tag -}}}}
{{{{- end }}}}
{{{{- end }}}}

{{{{- define "{name}.imagePullSecrets" -}}}}
{{{{- range (concat .Values.global.imagePullSecrets .Values.imagePullSecrets) }}}}
  {{{{- if eq (typeOf .) "map[string]interface {{}}" }}}}
- {{{{ toYaml . | trim }}}}
  {{{{- else }}}}
- name: {{{{ . }}}}
  {{{{- end }}}}
{{{{- end }}}}
{{{{- end -}}}}

{{{{- define "{name}.securityContext" -}}}}
{{{{- if .Values.securityContext.enabled }}}}
{{{{- omit .Values.securityContext "enabled" | toYaml }}}}
{{{{- end }}}}
{{{{- end }}}}
"""


def _pod_spec(name: str) -> str:
    return f"""{{{{- define "{name}.pod" -}}}}
{{{{- $root := . -}}}}
{{{{- with .Values.schedulerName }}}}
schedulerName: "{{{{ . }}}}"
{{{{- end }}}}
serviceAccountName: {{{{ include "{name}.serviceAccountName" . }}}}
automountServiceAccountToken: {{{{ .Values.automountServiceAccountToken }}}}
{{{{- with .Values.securityContext }}}}
securityContext:
  {{{{- toYaml . | nindent 2 }}}}
{{{{- end }}}}
{{{{- with .Values.hostAliases }}}}
hostAliases:
  {{{{- toYaml . | nindent 2 }}}}
{{{{- end }}}}
{{{{- with .Values.priorityClassName }}}}
priorityClassName: {{{{ . }}}}
{{{{- end }}}}
{{{{- if or .Values.initChownData.enabled .Values.extraInitContainers }}}}
initContainers:
{{{{- if .Values.initChownData.enabled }}}}
  - name: init-chown-data
    image: "{{{{ .Values.initChownData.image.registry }}}}/{{{{ .Values.initChownData.image.repository }}}}:{{{{ .Values.initChownData.image.tag }}}}"
    imagePullPolicy: {{{{ .Values.initChownData.image.pullPolicy }}}}
    command:
      - chown
      - -R
      - {{{{ .Values.securityContext.runAsUser }}}}:{{{{ .Values.securityContext.runAsGroup }}}}
      - /var/lib/{name}
    volumeMounts:
      - name: storage
        mountPath: "/var/lib/{name}"
{{{{- end }}}}
{{{{- with .Values.extraInitContainers }}}}
  {{{{- tpl (toYaml .) $root | nindent 2 }}}}
{{{{- end }}}}
{{{{- end }}}}
{{{{- if or .Values.image.pullSecrets .Values.global.imagePullSecrets }}}}
imagePullSecrets:
  {{{{- include "{name}.imagePullSecrets" . | nindent 2 }}}}
{{{{- end }}}}
enableServiceLinks: {{{{ .Values.enableServiceLinks }}}}
containers:
{{{{- range $i, $sidecar := list "dashboards" "datasources" "notifiers" "alerts" "plugins" }}}}
{{{{- $cfg := index $root.Values.sidecar $sidecar }}}}
{{{{- if $cfg.enabled }}}}
  - name: {{{{ include "{name}.name" $root }}}}-sc-{{{{ $sidecar }}}}
    image: "{{{{ $root.Values.sidecar.image.registry }}}}/{{{{ $root.Values.sidecar.image.repository }}}}:{{{{ $root.Values.sidecar.image.tag }}}}"
    imagePullPolicy: {{{{ $root.Values.sidecar.imagePullPolicy }}}}
    env:
      - name: METHOD
        value: {{{{ $cfg.watchMethod | default "WATCH" }}}}
      - name: LABEL
        value: "{{{{ tpl ($cfg.label | toString) $root }}}}"
      {{{{- with $cfg.labelValue }}}}
      - name: LABEL_VALUE
        value: {{{{ quote (tpl . $root) }}}}
      {{{{- end }}}}
      - name: FOLDER
        value: "{{{{ $cfg.folder | default (printf "/etc/{name}/provisioning/%s" $sidecar) }}}}"
      - name: RESOURCE
        value: {{{{ quote ($cfg.resource | default "both") }}}}
      {{{{- range $k, $v := $root.Values.sidecar.env }}}}
      - name: {{{{ $k }}}}
        value: {{{{ $v | quote }}}}
      {{{{- end }}}}
    {{{{- with $root.Values.sidecar.resources }}}}
    resources:
      {{{{- toYaml . | nindent 6 }}}}
    {{{{- end }}}}
    volumeMounts:
      - name: sc-{{{{ $sidecar }}}}-volume
        mountPath: "{{{{ $cfg.folder | default (printf "/etc/{name}/provisioning/%s" $sidecar) }}}}"
{{{{- end }}}}
{{{{- end }}}}
  - name: {{{{ .Chart.Name }}}}
    image: {{{{ include "{name}.image" . | quote }}}}
    imagePullPolicy: {{{{ .Values.image.pullPolicy }}}}
    {{{{- with .Values.command }}}}
    command:
      {{{{- range . }}}}
      - {{{{ . | quote }}}}
      {{{{- end }}}}
    {{{{- end }}}}
    {{{{- with .Values.containerSecurityContext }}}}
    securityContext:
      {{{{- toYaml . | nindent 6 }}}}
    {{{{- end }}}}
    volumeMounts:
      - name: config
        mountPath: "/etc/{name}/{name}.ini"
        subPath: {name}.ini
      - name: storage
        mountPath: "/var/lib/{name}"
      {{{{- range .Values.extraVolumeMounts }}}}
      - name: {{{{ .name }}}}
        mountPath: {{{{ .mountPath }}}}
        subPath: {{{{ .subPath | default "" }}}}
        readOnly: {{{{ .readOnly }}}}
      {{{{- end }}}}
    ports:
      - name: {{{{ .Values.podPortName }}}}
        containerPort: {{{{ .Values.service.targetPort }}}}
        protocol: TCP
    env:
      - name: POD_IP
        valueFrom:
          fieldRef:
            fieldPath: status.podIP
      {{{{- range $key, $value := .Values.env }}}}
      - name: "{{{{ tpl $key $ }}}}"
        value: "{{{{ tpl (print $value) $ }}}}"
      {{{{- end }}}}
    {{{{- with .Values.livenessProbe }}}}
    livenessProbe:
      {{{{- toYaml . | nindent 6 }}}}
    {{{{- end }}}}
    {{{{- with .Values.readinessProbe }}}}
    readinessProbe:
      {{{{- toYaml . | nindent 6 }}}}
    {{{{- end }}}}
    {{{{- with .Values.resources }}}}
    resources:
      {{{{- toYaml . | nindent 6 }}}}
    {{{{- end }}}}
{{{{- with .Values.nodeSelector }}}}
nodeSelector:
  {{{{- toYaml . | nindent 2 }}}}
{{{{- end }}}}
{{{{- with .Values.affinity }}}}
affinity:
  {{{{- tpl (toYaml .) $root | nindent 2 }}}}
{{{{- end }}}}
{{{{- with .Values.tolerations }}}}
tolerations:
  {{{{- toYaml . | nindent 2 }}}}
{{{{- end }}}}
volumes:
  - name: config
    configMap:
      name: {{{{ include "{name}.fullname" . }}}}
  {{{{- range .Values.dashboardProviders }}}}
  - name: config-dashboard-provider
    configMap:
      name: {{{{ include "{name}.fullname" $root }}}}-provider
  {{{{- end }}}}
  - name: storage
    emptyDir: {{}}
{{{{- end }}}}
"""


def _generic_sub_templates(name: str, extra_kinds: list[str]) -> dict[str, str]:
    """A subchart's usual objects, each guarded by its values."""
    t: dict[str, str] = {}
    meta = f"""metadata:
  name: {{{{ include "{name}.fullname" . }}}}
  namespace: {{{{ include "{name}.namespace" . }}}}
  labels:
    {{{{- include "{name}.labels" . | nindent 4 }}}}
  {{{{- with .Values.annotations }}}}
  annotations:
    {{{{- toYaml . | nindent 4 }}}}
  {{{{- end }}}}
"""
    t["service.yaml"] = f"""{{{{- if .Values.service.enabled }}}}
apiVersion: v1
kind: Service
{meta}spec:
  type: {{{{ .Values.service.type }}}}
  {{{{- if and (eq .Values.service.type "ClusterIP") .Values.service.clusterIP }}}}
  clusterIP: {{{{ .Values.service.clusterIP }}}}
  {{{{- end }}}}
  ports:
    - name: {{{{ .Values.service.portName }}}}
      port: {{{{ .Values.service.port }}}}
      protocol: TCP
      targetPort: {{{{ .Values.service.targetPort }}}}
  selector:
    {{{{- include "{name}.selectorLabels" . | nindent 4 }}}}
{{{{- end }}}}
"""
    t["serviceaccount.yaml"] = f"""{{{{- if .Values.serviceAccount.create }}}}
apiVersion: v1
kind: ServiceAccount
automountServiceAccountToken: {{{{ .Values.serviceAccount.automountServiceAccountToken }}}}
metadata:
  name: {{{{ include "{name}.serviceAccountName" . }}}}
  namespace: {{{{ include "{name}.namespace" . }}}}
  labels:
    {{{{- include "{name}.labels" . | nindent 4 }}}}
{{{{- end }}}}
"""
    t["servicemonitor.yaml"] = f"""{{{{- if .Values.serviceMonitor.enabled }}}}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
{meta}spec:
  jobLabel: {{{{ default "app.kubernetes.io/name" .Values.serviceMonitor.jobLabel }}}}
  selector:
    matchLabels:
      {{{{- include "{name}.selectorLabels" . | nindent 6 }}}}
  endpoints:
    - port: {{{{ .Values.service.portName }}}}
      {{{{- with .Values.serviceMonitor.interval }}}}
      interval: {{{{ . }}}}
      {{{{- end }}}}
      {{{{- with .Values.serviceMonitor.relabelings }}}}
      relabelings:
        {{{{- toYaml . | nindent 8 }}}}
      {{{{- end }}}}
{{{{- end }}}}
"""
    t["networkpolicy.yaml"] = f"""{{{{- if .Values.networkPolicy.enabled }}}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
{meta}spec:
  podSelector:
    matchLabels:
      {{{{- include "{name}.selectorLabels" . | nindent 6 }}}}
  ingress:
    - ports:
      - port: {{{{ .Values.service.targetPort }}}}
{{{{- end }}}}
"""
    t["pdb.yaml"] = f"""{{{{- if .Values.podDisruptionBudget }}}}
apiVersion: policy/v1
kind: PodDisruptionBudget
{meta}spec:
  selector:
    matchLabels:
      {{{{- include "{name}.selectorLabels" . | nindent 6 }}}}
  {{{{- toYaml .Values.podDisruptionBudget | nindent 2 }}}}
{{{{- end }}}}
"""
    for rb in ("clusterrole", "clusterrolebinding", "role", "rolebinding"):
        t[f"{rb}.yaml"] = f"""{{{{- if .Values.rbac.create }}}}
apiVersion: rbac.authorization.k8s.io/v1
kind: {rb.replace("cluster", "Cluster").replace("role", "Role").replace("binding", "Binding")}
{meta}{"roleRef:" if "binding" in rb else "rules:"}
{{{{- if "{rb}" | hasSuffix "binding" }}}}
  apiGroup: rbac.authorization.k8s.io
  kind: {"ClusterRole" if rb.startswith("cluster") else "Role"}
  name: {{{{ include "{name}.fullname" . }}}}
subjects:
  - kind: ServiceAccount
    name: {{{{ include "{name}.serviceAccountName" . }}}}
    namespace: {{{{ include "{name}.namespace" . }}}}
{{{{- else }}}}
{{{{- if .Values.rbac.extraRules }}}}
{{{{ toYaml .Values.rbac.extraRules }}}}
{{{{- else }}}}
  - apiGroups: [""]
    resources: ["configmaps", "secrets"]
    verbs: ["get", "watch", "list"]
{{{{- end }}}}
{{{{- end }}}}
{{{{- end }}}}
"""
    for kind in extra_kinds:
        key = kind[0].lower() + kind[1:]
        t[f"{kind.lower()}.yaml"] = f"""{{{{- if .Values.{key}.enabled }}}}
apiVersion: v1
kind: {kind}
{meta}spec:
{{{{ toYaml .Values.{key} | indent 2 }}}}
{{{{- end }}}}
"""
    t["extra-manifests.yaml"] = """{{ range .Values.extraObjects }}
---
{{ tpl (toYaml .) $ }}
{{ end }}
"""
    t["NOTES.txt"] = f"""1. Get the application URL by running these commands:
  export POD_NAME=$(kubectl get pods --namespace {{{{ include "{name}.namespace" . }}}} -l "app.kubernetes.io/name={{{{ include "{name}.name" . }}}},app.kubernetes.io/instance={{{{ .Release.Name }}}}" -o jsonpath="{{.items[0].metadata.name}}")
  kubectl --namespace {{{{ include "{name}.namespace" . }}}} port-forward $POD_NAME {{{{ .Values.service.targetPort }}}}
"""
    return t


def _sub_values(name: str, rng: random.Random, extra: str) -> str:
    return f"""# Default values for {name}.
# Generated by bench/helm_charts.py.
global:
  imageRegistry: ""
  imagePullSecrets: []
nameOverride: ""
fullnameOverride: ""
namespaceOverride: ""
annotations: {{}}
extraLabels: {{}}
image:
  registry: docker.io
  repository: example/{name}
  tag: ""
  sha: ""
  pullPolicy: IfNotPresent
  pullSecrets: []
imagePullSecrets: []
serviceAccount:
  create: true
  name: ""
  automountServiceAccountToken: false
automountServiceAccountToken: true
enableServiceLinks: true
rbac:
  create: true
  useClusterRole: true
  useExistingRole: false
  extraRules: []
service:
  enabled: true
  type: ClusterIP
  clusterIP: ""
  port: 80
  targetPort: 3000
  portName: service
podPortName: {name[:10]}
serviceMonitor:
  enabled: true
  interval: 30s
  jobLabel: ""
  relabelings:
    - sourceLabels: [__meta_kubernetes_pod_node_name]
      separator: ;
      regex: ^(.*)$
      targetLabel: nodename
      replacement: $1
      action: replace
networkPolicy:
  enabled: false
podDisruptionBudget: {{}}
securityContext:
  runAsNonRoot: true
  runAsUser: 472
  runAsGroup: 472
  fsGroup: 472
containerSecurityContext:
  allowPrivilegeEscalation: false
  capabilities:
    drop:
    - ALL
  seccompProfile:
    type: RuntimeDefault
resources: {{}}
nodeSelector: {{}}
tolerations: []
affinity: {{}}
extraObjects: []
{extra}"""


def _pod_values(name: str) -> str:
    env = "\n".join(f"  {name.upper()}_SETTING_{i}: value-{i}" for i in range(12))
    ini = "\n".join(
        f"  section{i}:\n" + "\n".join(f"    key{j}: v{i}-{j}" for j in range(6)) for i in range(10)
    )
    return f"""schedulerName: ""
hostAliases: []
priorityClassName: ""
initChownData:
  enabled: true
  image:
    registry: docker.io
    repository: library/busybox
    tag: "1.31.1"
    pullPolicy: IfNotPresent
extraInitContainers: []
command: []
extraVolumeMounts: []
livenessProbe:
  httpGet:
    path: /api/health
    port: 3000
  initialDelaySeconds: 60
  timeoutSeconds: 30
  failureThreshold: 10
readinessProbe:
  httpGet:
    path: /api/health
    port: 3000
env:
{env}
dashboardProviders: {{}}
{name}.ini:
{ini}
sidecar:
  image:
    registry: quay.io
    repository: example/k8s-sidecar
    tag: 1.28.0
  imagePullPolicy: IfNotPresent
  resources: {{}}
  env:
    LOG_LEVEL: INFO
  dashboards:
    enabled: true
    label: {name}_dashboard
    labelValue: "1"
  datasources:
    enabled: true
    label: {name}_datasource
    labelValue: "1"
  notifiers:
    enabled: false
    label: {name}_notifier
  alerts:
    enabled: false
    label: {name}_alert
  plugins:
    enabled: false
    label: {name}_plugin
"""


def _dashboard_server(base: str, name: str, rng: random.Random) -> None:
    tdir = os.path.join(base, "templates")
    _write(
        os.path.join(base, "Chart.yaml"),
        f"apiVersion: v2\nname: {name}\nversion: 8.5.1\nappVersion: 11.4.0\n"
        f"description: A dashboard server (generated for the benchmark).\n",
    )
    _write(os.path.join(tdir, "_helpers.tpl"), _sub_helpers(name))
    _write(os.path.join(tdir, "_pod.tpl"), _pod_spec(name))
    for fname, text in _generic_sub_templates(
        name, ["HorizontalPodAutoscaler", "PersistentVolumeClaim", "Ingress"]
    ).items():
        _write(os.path.join(tdir, fname), text)
    _write(
        os.path.join(tdir, "deployment.yaml"),
        f"""{{{{- if (not (eq .Values.persistence.type "statefulset")) }}}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{{{ include "{name}.fullname" . }}}}
  namespace: {{{{ include "{name}.namespace" . }}}}
  labels:
    {{{{- include "{name}.labels" . | nindent 4 }}}}
spec:
  replicas: {{{{ .Values.replicas }}}}
  selector:
    matchLabels:
      {{{{- include "{name}.selectorLabels" . | nindent 6 }}}}
  template:
    metadata:
      labels:
        {{{{- include "{name}.selectorLabels" . | nindent 8 }}}}
      annotations:
        checksum/config: {{{{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}}}
        checksum/secret: {{{{ include (print $.Template.BasePath "/secret.yaml") . | sha256sum }}}}
    spec:
      {{{{- include "{name}.pod" . | nindent 6 }}}}
{{{{- end }}}}
""",
    )
    _write(
        os.path.join(tdir, "statefulset.yaml"),
        f"""{{{{- if eq .Values.persistence.type "statefulset" }}}}
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {{{{ include "{name}.fullname" . }}}}
spec:
  template:
    spec:
      {{{{- include "{name}.pod" . | nindent 6 }}}}
{{{{- end }}}}
""",
    )
    _write(
        os.path.join(tdir, "configmap.yaml"),
        f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: {{{{ include "{name}.fullname" . }}}}
  namespace: {{{{ include "{name}.namespace" . }}}}
  labels:
    {{{{- include "{name}.labels" . | nindent 4 }}}}
data:
  {name}.ini: |
  {{{{- range $elem, $elemVal := index .Values "{name}.ini" }}}}
    {{{{- if not (kindIs "map" $elemVal) }}}}
    {{{{- if kindIs "invalid" $elemVal }}}}
    {{{{ $elem }}}} =
    {{{{- else if kindIs "string" $elemVal }}}}
    {{{{ $elem }}}} = {{{{ tpl $elemVal $ }}}}
    {{{{- else }}}}
    {{{{ $elem }}}} = {{{{ $elemVal }}}}
    {{{{- end }}}}
    {{{{- end }}}}
  {{{{- end }}}}
  {{{{- range $key, $value := index .Values "{name}.ini" }}}}
    {{{{- if kindIs "map" $value }}}}
    [{{{{ $key }}}}]
    {{{{- range $elem, $elemVal := $value }}}}
    {{{{- if kindIs "invalid" $elemVal }}}}
    {{{{ $elem }}}} =
    {{{{- else if kindIs "string" $elemVal }}}}
    {{{{ $elem }}}} = {{{{ tpl $elemVal $ }}}}
    {{{{- else }}}}
    {{{{ $elem }}}} = {{{{ $elemVal }}}}
    {{{{- end }}}}
    {{{{- end }}}}
    {{{{- end }}}}
  {{{{- end }}}}
""",
    )
    _write(
        os.path.join(tdir, "secret.yaml"),
        f"""{{{{- if not .Values.admin.existingSecret }}}}
apiVersion: v1
kind: Secret
metadata:
  name: {{{{ include "{name}.fullname" . }}}}
  namespace: {{{{ include "{name}.namespace" . }}}}
  labels:
    {{{{- include "{name}.labels" . | nindent 4 }}}}
type: Opaque
data:
  admin-user: {{{{ .Values.adminUser | b64enc | quote }}}}
  admin-password: {{{{ .Values.adminPassword | default "prom-operator" | b64enc | quote }}}}
  {{{{- range $k, $v := .Values.extraSecretData }}}}
  {{{{ $k }}}}: {{{{ $v | toString | b64enc | quote }}}}
  {{{{- end }}}}
{{{{- end }}}}
""",
    )
    for i in range(6):
        _write(
            os.path.join(tdir, "tests", f"test-{i}.yaml"),
            f"""{{{{- if .Values.testFramework.enabled }}}}
apiVersion: v1
kind: Pod
metadata:
  name: {{{{ include "{name}.fullname" . }}}}-test-{i}
  annotations:
    "helm.sh/hook": test-success
    "helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded"
spec:
  containers:
    - name: {{{{ .Release.Name }}}}-test
      image: "{{{{ .Values.testFramework.image.registry }}}}/{{{{ .Values.testFramework.image.repository }}}}:{{{{ .Values.testFramework.image.tag }}}}"
      command: ["/opt/bats/bin/bats", "-t", "/tests/run.sh"]
  restartPolicy: Never
{{{{- end }}}}
""",
        )
    for part in ("deployment", "service", "servicemonitor", "networkpolicy", "hpa"):
        _write(
            os.path.join(tdir, f"image-renderer-{part}.yaml"),
            f"""{{{{- if .Values.imageRenderer.enabled }}}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{{{ include "{name}.fullname" . }}}}-image-renderer-{part}
  labels:
    {{{{- include "{name}.labels" . | nindent 4 }}}}
data:
  spec: |
{{{{ toYaml .Values.imageRenderer | indent 4 }}}}
{{{{- end }}}}
""",
        )
    _write(
        os.path.join(tdir, "dashboards-json-configmap.yaml"),
        f"""{{{{- range $provider, $dashboards := .Values.dashboards }}}}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{{{ include "{name}.fullname" $ }}}}-dashboards-{{{{ $provider }}}}
  namespace: {{{{ include "{name}.namespace" $ }}}}
data:
{{{{- range $key, $value := $dashboards }}}}
  {{{{ print $key ".json" }}}}: |
{{{{ toPrettyJson $value | indent 4 }}}}
{{{{- end }}}}
{{{{- end }}}}
""",
    )
    dashboards = "\n".join(
        f"    dash{i}:\n      title: Dashboard {i}\n      panels:\n"
        + "".join(
            f"        - {{id: {j}, type: timeseries, title: '{_words(rng, 3)}'}}\n"
            for j in range(8)
        )
        for i in range(6)
    )
    _write(
        os.path.join(base, "values.yaml"),
        _sub_values(
            name,
            rng,
            _pod_values(name)
            + f"""replicas: 1
persistence:
  type: pvc
  enabled: false
horizontalPodAutoscaler:
  enabled: false
persistentVolumeClaim:
  enabled: false
ingress:
  enabled: false
admin:
  existingSecret: ""
adminUser: admin
adminPassword: ""
extraSecretData: {{}}
testFramework:
  enabled: true
  image:
    registry: docker.io
    repository: example/bats
    tag: "v1.4.1"
imageRenderer:
  enabled: false
  replicas: 1
dashboards:
  default:
{dashboards}
""",
        ),
    )


def _metrics_exporter(base: str, name: str, rng: random.Random) -> None:
    tdir = os.path.join(base, "templates")
    _write(
        os.path.join(base, "Chart.yaml"),
        f"apiVersion: v2\nname: {name}\nversion: 5.27.0\nappVersion: 2.14.0\n"
        "description: A cluster-state metrics exporter (generated for the benchmark).\n",
    )
    _write(os.path.join(tdir, "_helpers.tpl"), _sub_helpers(name))
    for fname, text in _generic_sub_templates(
        name, ["VerticalPodAutoscaler", "Secret", "ConfigMap"]
    ).items():
        _write(os.path.join(tdir, fname), text)
    collectors = [
        "certificatesigningrequests", "configmaps", "cronjobs", "daemonsets", "deployments",
        "endpoints", "horizontalpodautoscalers", "ingresses", "jobs", "leases", "limitranges",
        "mutatingwebhookconfigurations", "namespaces", "networkpolicies", "nodes",
        "persistentvolumeclaims", "persistentvolumes", "poddisruptionbudgets", "pods",
        "replicasets", "replicationcontrollers", "resourcequotas", "secrets", "services",
        "statefulsets", "storageclasses", "validatingwebhookconfigurations",
        "volumeattachments",
    ]  # fmt: skip
    blocks = "".join(
        f"""{{{{ if has "{c}" $.Values.collectors }}}}
- apiGroups: ["{rng.choice(["", "apps", "batch", "networking.k8s.io", "policy"])}"]
  resources:
  - {c}
  verbs: ["list", "watch"]
{{{{ end -}}}}
"""
        for c in collectors
    )
    _write(
        os.path.join(tdir, "role.yaml"),
        f"""{{{{- if and (eq .Values.rbac.create true) (not .Values.rbac.useExistingRole) -}}}}
{{{{- range (ternary (join "," .Values.namespaces | split "," ) (list "") (eq $.Values.rbac.useClusterRole false)) }}}}
---
apiVersion: rbac.authorization.k8s.io/v1
{{{{- if eq $.Values.rbac.useClusterRole false }}}}
kind: Role
{{{{- else }}}}
kind: ClusterRole
{{{{- end }}}}
metadata:
  labels:
    {{{{- include "{name}.labels" $ | nindent 4 }}}}
  name: {{{{ template "{name}.fullname" $ }}}}
{{{{- if eq $.Values.rbac.useClusterRole false }}}}
  namespace: {{{{ . }}}}
{{{{- end }}}}
rules:
{blocks}{{{{ if $.Values.rbac.extraRules }}}}
{{{{ toYaml $.Values.rbac.extraRules }}}}
{{{{ end }}}}
{{{{- end -}}}}
{{{{- end -}}}}
""",
    )
    _write(
        os.path.join(tdir, "deployment.yaml"),
        f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{{{ template "{name}.fullname" . }}}}
  namespace: {{{{ template "{name}.namespace" . }}}}
  labels:
    {{{{- include "{name}.labels" . | nindent 4 }}}}
spec:
  selector:
    matchLabels:
      {{{{- include "{name}.selectorLabels" . | nindent 6 }}}}
  replicas: {{{{ .Values.replicas }}}}
  template:
    metadata:
      labels:
        {{{{- include "{name}.labels" . | nindent 8 }}}}
    spec:
      serviceAccountName: {{{{ template "{name}.serviceAccountName" . }}}}
      containers:
      - name: {{{{ template "{name}.name" . }}}}
        args:
        - --port={{{{ .Values.service.port | default 8080 }}}}
        {{{{- if .Values.collectors }}}}
        - --resources={{{{ .Values.collectors | join "," }}}}
        {{{{- end }}}}
        {{{{- if .Values.metricLabelsAllowlist }}}}
        - --metric-labels-allowlist={{{{ .Values.metricLabelsAllowlist | join "," }}}}
        {{{{- end }}}}
        {{{{- if .Values.namespaces }}}}
        - --namespaces={{{{ tpl (.Values.namespaces | join ",") $ }}}}
        {{{{- end }}}}
        {{{{- range $key, $value := .Values.extraArgs }}}}
        - --{{{{ $key }}}}={{{{ $value }}}}
        {{{{- end }}}}
        image: {{{{ include "{name}.image" . }}}}
        ports:
        - containerPort: {{{{ .Values.service.port | default 8080 }}}}
          name: http
        livenessProbe:
          httpGet:
            path: /livez
            port: {{{{ .Values.service.port | default 8080 }}}}
        {{{{- with .Values.resources }}}}
        resources:
{{{{ toYaml . | indent 10 }}}}
        {{{{- end }}}}
""",
    )
    _write(
        os.path.join(base, "values.yaml"),
        _sub_values(
            name,
            rng,
            "replicas: 1\nnamespaces: []\nmetricLabelsAllowlist:\n"
            + "".join(f"  - {c}=[*]\n" for c in collectors[:10])
            + "extraArgs: {}\ncollectors:\n"
            + "".join(f"  - {c}\n" for c in collectors)
            + "verticalPodAutoscaler:\n  enabled: false\n"
            "secret:\n  enabled: false\nconfigMap:\n  enabled: false\n",
        ),
    )


def _node_exporter(base: str, name: str, rng: random.Random) -> None:
    tdir = os.path.join(base, "templates")
    _write(
        os.path.join(base, "Chart.yaml"),
        f"apiVersion: v2\nname: {name}\nversion: 4.43.1\nappVersion: 1.8.2\n"
        "description: A node metrics exporter (generated for the benchmark).\n",
    )
    _write(os.path.join(tdir, "_helpers.tpl"), _sub_helpers(name))
    for fname, text in _generic_sub_templates(
        name, ["VerticalPodAutoscaler", "PodMonitor", "Endpoints"]
    ).items():
        _write(os.path.join(tdir, fname), text)
    _write(
        os.path.join(tdir, "daemonset.yaml"),
        f"""apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: {{{{ include "{name}.fullname" . }}}}
  namespace: {{{{ include "{name}.namespace" . }}}}
  labels:
    {{{{- include "{name}.labels" . | nindent 4 }}}}
spec:
  selector:
    matchLabels:
      {{{{- include "{name}.selectorLabels" . | nindent 6 }}}}
  updateStrategy:
    {{{{- toYaml .Values.updateStrategy | nindent 4 }}}}
  template:
    metadata:
      labels:
        {{{{- include "{name}.labels" . | nindent 8 }}}}
    spec:
      automountServiceAccountToken: {{{{ ternary true false (or .Values.serviceAccount.automountServiceAccountToken .Values.kubeRBACProxy.enabled) }}}}
      serviceAccountName: {{{{ include "{name}.serviceAccountName" . }}}}
      containers:
        - name: node-exporter
          image: {{{{ include "{name}.image" . }}}}
          args:
            - --path.procfs=/host/proc
            - --path.sysfs=/host/sys
            {{{{- if .Values.hostRootFsMount.enabled }}}}
            - --path.rootfs=/host/root
            {{{{- end }}}}
            - --web.listen-address=[$(HOST_IP)]:{{{{ .Values.service.port }}}}
            {{{{- with .Values.extraArgs }}}}
            {{{{- toYaml . | nindent 12 }}}}
            {{{{- end }}}}
          env:
            - name: HOST_IP
              value: 0.0.0.0
          {{{{- range $key, $value := .Values.env }}}}
            - name: {{{{ $key }}}}
              value: {{{{ $value | quote }}}}
          {{{{- end }}}}
          ports:
            - name: {{{{ .Values.service.portName }}}}
              containerPort: {{{{ .Values.service.port }}}}
          volumeMounts:
            - name: proc
              mountPath: /host/proc
              readOnly:  true
            - name: sys
              mountPath: /host/sys
              readOnly: true
            {{{{- range $_, $mount := .Values.extraHostVolumeMounts }}}}
            - name: {{{{ $mount.name }}}}
              mountPath: {{{{ $mount.mountPath }}}}
              readOnly: {{{{ $mount.readOnly }}}}
            {{{{- end }}}}
      hostNetwork: {{{{ .Values.hostNetwork }}}}
      hostPID: {{{{ .Values.hostPID }}}}
      {{{{- with .Values.tolerations }}}}
      tolerations:
        {{{{- toYaml . | nindent 8 }}}}
      {{{{- end }}}}
      volumes:
        - name: proc
          hostPath:
            path: /proc
        - name: sys
          hostPath:
            path: /sys
""",
    )
    _write(
        os.path.join(base, "values.yaml"),
        _sub_values(
            name,
            rng,
            "updateStrategy:\n  type: RollingUpdate\n  rollingUpdate:\n    maxUnavailable: 1\n"
            "kubeRBACProxy:\n  enabled: false\nhostRootFsMount:\n  enabled: true\n"
            "extraArgs:\n"
            + "".join(f"  - --collector.{c}\n" for c in ("systemd", "processes", "ethtool"))
            + "env:\n  GOMAXPROCS: '1'\nextraHostVolumeMounts: []\nhostNetwork: true\n"
            "hostPID: true\nverticalPodAutoscaler:\n  enabled: false\npodMonitor:\n"
            "  enabled: false\nendpoints:\n  enabled: false\n",
        ),
    )


def _crd(rng: random.Random, kind: str, depth: int) -> str:
    def props(level: int) -> Iterator[str]:
        pad = "  " * (level * 2 + 8)
        for i in range(rng.randint(4, 9)):
            pname = f"{_camel(_words(rng, 2).replace(' ', '-'))}{i}"
            if level < depth and rng.random() < 0.45:
                yield f"{pad}{pname}:\n{pad}  description: {_words(rng, 14)}\n"
                yield f"{pad}  type: object\n{pad}  properties:\n"
                yield from props(level + 1)
            else:
                typ = rng.choice(["string", "integer", "boolean"])
                yield f"{pad}{pname}:\n{pad}  description: |-\n"
                yield f"{pad}    {_words(rng, 18)}\n{pad}    {_words(rng, 12)}\n"
                yield f"{pad}  type: {typ}\n"

    plural = kind.lower() + "s"
    return (
        f"""# Generated by bench/helm_charts.py
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  annotations:
    controller-gen.kubebuilder.io/version: v0.16.1
  name: {plural}.monitoring.coreos.com
spec:
  group: monitoring.coreos.com
  names:
    kind: {kind}
    listKind: {kind}List
    plural: {plural}
    singular: {kind.lower()}
  scope: Namespaced
  versions:
  - name: v1
    schema:
      openAPIV3Schema:
        properties:
          spec:
            properties:
"""
        + "".join(props(0))
        + "            type: object\n        type: object\n    served: true\n    storage: true\n"
    )


# ---------------------------------------------------------------- values.yaml


def _root_values(rng: random.Random, prefix: str, gkeys: list[str]) -> str:
    out: list[str] = [
        "# Default values for the benchmark umbrella chart.\n",
        "# Generated by bench/helm_charts.py; shaped like a monitoring stack's values.\n",
        "# This is a YAML-formatted file.\n# Declare variables to be passed into your templates.\n\n",
        'nameOverride: ""\nnamespaceOverride: ""\nkubeTargetVersionOverride: ""\n',
        'kubeVersionOverride: ""\nfullnameOverride: ""\ncommonLabels: {}\n\n',
        "crds:\n  enabled: true\n\ncustomRules: {}\n\n",
        "## Create default rules for monitoring the cluster\n##\ndefaultRules:\n  create: true\n",
        "  rules:\n",
        *(f"    {k}: true\n" for k in gkeys),
        '  appNamespacesTarget: ".*"\n  keepFiringFor: ""\n  labels: {}\n  annotations: {}\n',
        "  additionalRuleLabels: {}\n  additionalRuleAnnotations: {}\n",
        "  additionalAggregationLabels: []\n",
        '  runbookUrl: "https://runbooks.example.com/runbooks"\n',
        "  additionalRuleGroupLabels:\n",
        *(f"    {k}: {{}}\n" for k in gkeys),
        "  additionalRuleGroupAnnotations:\n",
        *(f"    {k}: {{}}\n" for k in gkeys),
        "  disabled: {}\n\n",
        'global:\n  rbac:\n    create: true\n  imageRegistry: ""\n  imagePullSecrets: []\n\n',
    ]
    for comp, kind in zip(
        COMPONENTS, ["Alertmanager", "Prometheus", "Operator", "ThanosRuler"], strict=True
    ):
        out.append(f"## Configuration for {comp}\n## ref: the {kind} documentation\n##\n{comp}:\n")
        out.append(
            f"  ## Deploy {comp}\n  ##\n  enabled: {'false' if comp == 'thanosRuler' else 'true'}\n"
        )
        out.append('  annotations: {}\n  labels: {}\n  fullnameOverride: ""\n')
        out.append(
            '  serviceAccount:\n    create: true\n    name: ""\n    annotations: {}\n'
            "    automountServiceAccountToken: true\n"
        )
        out.append(
            "  podDisruptionBudget:\n    enabled: false\n    minAvailable: 1\n"
            '    maxUnavailable: ""\n  networkPolicy:\n    enabled: false\n'
            "    policyTypes: [Ingress]\n    ingress: []\n"
        )
        out.append(
            '  ingress:\n    enabled: false\n    ingressClassName: ""\n    annotations: {}\n'
            "    hosts: []\n    paths: []\n    pathType: ImplementationSpecific\n    tls: []\n"
        )
        out.append(
            f'  service:\n    enabled: true\n    annotations: {{}}\n    clusterIP: ""\n'
            f"    port: {rng.randint(8000, 9999)}\n    targetPort: {rng.randint(8000, 9999)}\n"
            f"    nodePort: 30903\n    portName: http-web\n    additionalPorts: []\n"
            f"    externalIPs: []\n    sessionAffinity: None\n    type: ClusterIP\n"
        )
        out.append(
            '  serviceMonitor:\n    selfMonitor: true\n    interval: ""\n    scheme: ""\n'
            "    tlsConfig: {}\n    sampleLimit: 0\n    targetLimit: 0\n"
            "    labelLimit: 0\n    labelNameLengthLimit: 0\n    labelValueLengthLimit: 0\n"
            "    metricRelabelings: []\n    relabelings: []\n"
        )
        out.append(
            "  extraSecret:\n    annotations: {}\n    data: {}\n  additionalRulesForClusterRole: []\n"
            "  podAntiAffinity: soft\n  podAntiAffinityTopologyKey: kubernetes.io/hostname\n"
        )
        out.append(
            f"  image:\n    registry: quay.io\n    repository: example/{comp.lower()}\n"
            f'    tag: v0.{rng.randint(10, 80)}.0\n    sha: ""\n    pullPolicy: IfNotPresent\n'
        )
        out.append("  spec:\n    replicas: 1\n    routePrefix: /\n")
        choices = ['""', "[]", "{}", "false", "null", '"30s"', "1"]
        for i in range(40):
            # a documented spec field, as the real charts document every one
            out.append(
                f"    ## {_words(rng, 10)}\n    ## {_words(rng, 12)}\n"
                f"    ##\n    field{i}: {rng.choice(choices)}\n"
            )
        out.append(
            "    podMetadata:\n      labels: {}\n    resources: {}\n"
            "    storage:\n      volumeClaimTemplate:\n        spec:\n"
            '          accessModes: ["ReadWriteOnce"]\n          resources:\n'
            "            requests:\n              storage: 50Gi\n"
        )
        if comp == "operator":
            out.append(
                "  revisionHistoryLimit: 10\n  podLabels: {}\n  kubeletService:\n"
                '    enabled: true\n    namespace: kube-system\n    name: ""\n'
                '  extraArgs: {}\n  namespaces: {}\n  env:\n    GOGC: "30"\n'
                "  resources: {}\n  containerSecurityContext:\n    allowPrivilegeEscalation: false\n"
                "    readOnlyRootFilesystem: true\n  nodeSelector: {}\n  tolerations: []\n"
                "  prometheusConfigReloader:\n    image:\n      registry: quay.io\n"
                '      repository: example/config-reloader\n      tag: ""\n    resources:\n'
                "      requests:\n        cpu: 10m\n        memory: 50Mi\n"
                '  admissionWebhooks:\n    enabled: true\n    failurePolicy: ""\n    timeoutSeconds: 10\n'
                '    caBundle: ""\n    certManager:\n      enabled: false\n    patch:\n      enabled: true\n'
                "      ttlSecondsAfterFinished: 60\n      annotations: {}\n      podAnnotations: {}\n"
                "      resources: {}\n      image:\n        registry: registry.example.com\n"
                "        repository: ingress-nginx/kube-webhook-certgen\n        tag: v1.5.1\n"
                '        sha: ""\n        pullPolicy: IfNotPresent\n'
            )
    for name, _port in EXPORTERS:
        key = _camel(name)
        out.append(
            f"## Component scraping {name}\n##\n{key}:\n  enabled: true\n  endpoints: []\n"
            f'  jobLabel: ""\n  service:\n    enabled: true\n    port: null\n    targetPort: null\n'
            f'    selector: {{}}\n    ipDualStack:\n      enabled: false\n      ipFamilies: ["IPv6", "IPv4"]\n'
            f'      ipFamilyPolicy: "PreferDualStack"\n  serviceMonitor:\n    enabled: true\n'
            f'    interval: ""\n    port: http-metrics\n    https: {str(rng.random() < 0.5).lower()}\n'
            f"    insecureSkipVerify: null\n    selector: {{}}\n    additionalLabels: {{}}\n"
            f"    sampleLimit: 0\n    targetLimit: 0\n    labelLimit: 0\n"
            f"    labelNameLengthLimit: 0\n    labelValueLengthLimit: 0\n"
            f"    metricRelabelings:\n"
            + "".join(
                f"      - action: drop\n        regex: {_words(rng, 1)}_{j}_(bucket|sum|count)\n"
                f"        sourceLabels: [__name__]\n"
                for j in range(rng.randint(0, 12))
            )
            + "    relabelings:\n      - action: replace\n        sourceLabels: [__metrics_path__]\n"
            "        targetLabel: metrics_path\n"
        )
    out.append(
        'kube-state-metrics:\n  namespaceOverride: ""\n'
        "  rbac:\n    create: true\n  releaseLabel: true\n  prometheus:\n    monitor:\n"
        '      enabled: true\n\nprometheus-node-exporter:\n  namespaceOverride: ""\n'
        "  podLabels:\n    jobLabel: node-exporter\n  extraArgs:\n"
        "    - --collector.filesystem.mount-points-exclude=^/(dev|proc|sys|var/lib/docker/.+)($|/)\n"
        "    - --collector.filesystem.fs-types-exclude=^(autofs|binfmt_misc|bpf|cgroup2?|tmpfs)$\n"
        'windows-exporter:\n  namespaceOverride: ""\n  hostNetwork: false\n\n'
    )
    out.append(
        'grafana:\n  enabled: true\n  namespaceOverride: ""\n  forceDeployDatasources: false\n'
        "  forceDeployDashboards: false\n  defaultDashboardsEnabled: true\n"
        "  defaultDashboardsTimezone: utc\n  defaultDashboardsEditable: true\n"
        "  defaultDashboardsInterval: 1m\n  adminPassword: prom-operator\n"
        "  sidecar:\n    dashboards:\n      enabled: true\n      label: grafana_dashboard\n"
        '      labelValue: "1"\n      annotations: {}\n      multicluster:\n        global:\n'
        "          enabled: false\n    datasources:\n      enabled: true\n"
        "      defaultDatasourceEnabled: true\n      isDefaultDatasource: true\n"
        '      name: Prometheus\n      uid: prometheus\n      url: ""\n      httpMethod: POST\n'
        '      label: grafana_datasource\n      labelValue: "1"\n'
        '      defaultDatasourceScrapeInterval: ""\n'
        "  additionalDataSources:\n"
        + "".join(
            f"    - name: extra-{i}\n      type: loki\n      access: proxy\n"
            f"      url: http://{{{{ .Release.Name }}}}-loki-{i}:3100\n"
            for i in range(4)
        )
        + "\n"
    )
    # the long documented examples real values files carry, all commented out
    for i in range(800):
        out.append(f"# {_words(rng, 11)}\n#   example{i}: {_words(rng, 3)}\n")
    out.append("extraManifests:\n")
    for i in range(20):
        out.append(
            f"  - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n"
            f"      name: '{{{{ .Release.Name }}}}-extra-{i}'\n      labels:\n"
            f'        index: "{i}"\n    data:\n'
            + "".join(f"      key{j}: '{_words(rng, 4)}'\n" for j in range(8))
        )
    return "".join(out)


def stack_chart(root: str, seed: int = 19) -> str:
    """Write the kube-prometheus-stack-shaped umbrella chart under root; return its path."""
    rng = random.Random(seed)
    prefix = "kps"
    base = os.path.join(root, "stack")
    tdir = os.path.join(base, "templates")
    _write(os.path.join(tdir, "_helpers.tpl"), _helpers(prefix))
    _write(
        os.path.join(tdir, "_servicemonitor.tpl"),
        f"""{{{{- define "{prefix}.servicemonitor.scrapeLimits" -}}}}
{{{{- with .sampleLimit }}}}
sampleLimit: {{{{ . }}}}
{{{{- end }}}}
{{{{- with .targetLimit }}}}
targetLimit: {{{{ . }}}}
{{{{- end }}}}
{{{{- with .labelLimit }}}}
labelLimit: {{{{ . }}}}
{{{{- end }}}}
{{{{- with .labelNameLengthLimit }}}}
labelNameLengthLimit: {{{{ . }}}}
{{{{- end }}}}
{{{{- with .labelValueLengthLimit }}}}
labelValueLengthLimit: {{{{ . }}}}
{{{{- end }}}}
{{{{- end -}}}}
{{{{- define "{prefix}-kube-state-metrics.name" -}}}}
{{{{- $ksm := index .Values "kube-state-metrics" -}}}}
{{{{- default "kube-state-metrics" $ksm.nameOverride | trunc 63 | trimSuffix "-" -}}}}
{{{{- end -}}}}
""",
    )
    kinds = {
        "alertmanager": "Alertmanager",
        "prometheus": "Prometheus",
        "operator": "Operator",
        "thanosRuler": "ThanosRuler",
    }
    for comp, kind in kinds.items():
        d = {"operator": "prometheus-operator", "thanosRuler": "thanos-ruler"}.get(comp, comp)
        tmpls = _component_templates(prefix, comp, kind)
        if comp == "operator":
            tmpls.pop("operator.yaml")
            tmpls.update(_operator_extra(prefix))
        for fname, text in tmpls.items():
            _write(os.path.join(tdir, d, fname), text)
    gkeys = []
    for group in RULE_GROUPS:
        gkey, text = _rules_file(rng, prefix, group)
        gkeys.append(gkey)
        _write(
            os.path.join(tdir, "prometheus", "rules-1.14", f"{group.replace('.', '-')}.yaml"), text
        )
    for i in range(28):
        name = f"k8s-{_words(rng, 2).replace(' ', '-')}-{i}"
        _write(
            os.path.join(tdir, "grafana", "dashboards-1.14", f"{name}.yaml"),
            _dashboard(rng, prefix, name),
        )
    for fname, text in _grafana_parent(prefix).items():
        _write(os.path.join(tdir, "grafana", fname), text)
    for name, port in EXPORTERS:
        for fname, text in _exporter_templates(prefix, name, port).items():
            _write(os.path.join(tdir, "exporters", name, fname), text)
    _write(
        os.path.join(tdir, "extra-objects.yaml"),
        """{{ range .Values.extraManifests }}
---
{{ tpl (toYaml .) $ }}
{{ end }}
""",
    )
    _write(
        os.path.join(tdir, "NOTES.txt"),
        f"""{{{{ $.Chart.Name }}}} has been installed. Check its status by running:
  kubectl --namespace {{{{ template "{prefix}.namespace" . }}}} get pods -l "release={{{{ $.Release.Name }}}}"
""",
    )
    # subcharts: CRDs, a dashboard server, a cluster metrics exporter, a node exporter twice
    crds = os.path.join(base, "charts", "crds")
    _write(
        os.path.join(crds, "Chart.yaml"),
        "apiVersion: v2\nname: crds\nversion: 0.0.0\ndescription: The CRDs (generated).\n",
    )
    _write(os.path.join(crds, "values.yaml"), "{}\n")
    for kind in (
        "Alertmanager", "AlertmanagerConfig", "PodMonitor", "Probe", "Prometheus",
        "PrometheusAgent", "PrometheusRule", "ScrapeConfig", "ServiceMonitor", "ThanosRuler",
    ):  # fmt: skip
        _write(os.path.join(crds, "crds", f"crd-{kind.lower()}s.yaml"), _crd(rng, kind, 4))
    _dashboard_server(os.path.join(base, "charts", "grafana"), "grafana", rng)
    _metrics_exporter(os.path.join(base, "charts", "kube-state-metrics"), "kube-state-metrics", rng)
    _node_exporter(os.path.join(base, "charts", "node-exporter"), "node-exporter", rng)
    _write(
        os.path.join(base, "Chart.yaml"),
        """apiVersion: v2
name: stack
description: A monitoring stack shaped like kube-prometheus-stack (generated for the benchmark).
type: application
version: 66.3.1
appVersion: v0.79.2
kubeVersion: ">=1.19.0-0"
dependencies:
  - name: crds
    version: "0.0.0"
    condition: crds.enabled
  - name: kube-state-metrics
    version: "5.27.*"
    condition: kubeStateMetrics.enabled
  - name: node-exporter
    alias: prometheus-node-exporter
    version: "4.43.*"
    condition: nodeExporter.enabled
  - name: node-exporter
    alias: windows-exporter
    version: "4.43.*"
    condition: windowsMonitoring.enabled
  - name: grafana
    version: "8.5.*"
    condition: grafana.enabled
""",
    )
    _write(
        os.path.join(base, "values.yaml"),
        _root_values(rng, prefix, gkeys)
        + "kubeStateMetrics:\n  enabled: true\nnodeExporter:\n  enabled: true\n"
        "windowsMonitoring:\n  enabled: true\n",
    )
    return base


# ---------------------------------------------------------------- starter chart

EXTRA = """apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "%(name)s.fullname" . }}-extra
  labels:
    {{- include "%(name)s.labels" . | nindent 4 }}
data:
  tpl: {{ tpl .Values.extra.template . | quote }}
  values.yaml: |
    {{- toYaml .Values.extra.data | nindent 4 }}
  json: {{ toJson .Values.extra.data | quote }}
  {{- range $k, $v := .Values.extra.data }}
  {{ $k }}: {{ $v | toString | upper | quote }}
  {{- end }}
"""

EXTRA_VALUES = """
extra:
  template: "{{ .Release.Name }}-{{ .Chart.Name }}-{{ .Values.image.repository }}"
  data:
    alpha: one
    beta: two
    gamma: [1, 2, 3]
    delta: {x: 1, y: "z"}
"""


def starter_chart(root: str, copies: int = 10, subcharts: int = 4) -> str:
    """Write the starter-based chart under root and return its path."""
    from polystack.helm.chart.create import create

    base = os.path.join(root, "big")
    create(base)
    tdir = os.path.join(base, "templates")
    starter = {}
    for f in os.listdir(tdir):
        if f.endswith((".yaml", ".tpl")):
            with open(os.path.join(tdir, f), encoding="utf-8") as fh:
                starter[f] = fh.read()
    for i in range(copies):
        name = f"big{i}"
        for fname, text in starter.items():
            out = text.replace('"big.', f'"{name}.')
            out = out.replace('define "big.', f'define "{name}.')
            target = os.path.join(
                tdir, f"{name}-{fname}" if not fname.startswith("_") else f"_{name}{fname}"
            )
            _write(target, out)
        _write(os.path.join(tdir, f"{name}-extra.yaml"), EXTRA % {"name": name})
    with open(os.path.join(base, "values.yaml"), "a", encoding="utf-8") as fh:
        fh.write(EXTRA_VALUES)
    deps = []
    for j in range(subcharts):
        sub = os.path.join(base, "charts", f"sub{j}")
        create(sub)
        with open(os.path.join(sub, "values.yaml"), "a", encoding="utf-8") as fh:
            fh.write(EXTRA_VALUES)
        _write(os.path.join(sub, "templates", "extra.yaml"), EXTRA % {"name": f"sub{j}"})
        deps.append(f"  - name: sub{j}\n    version: 0.1.0\n")
    with open(os.path.join(base, "Chart.yaml"), "a", encoding="utf-8") as fh:
        fh.write("dependencies:\n" + "".join(deps))
    return base


def count_templates(path: str) -> int:
    n = 0
    for dirpath, _, files in os.walk(path):
        if f"{os.sep}templates" in dirpath:
            n += sum(1 for f in files if f.endswith((".yaml", ".tpl", ".txt")))
    return n


def chart_size(path: str) -> int:
    total = 0
    for dirpath, _, files in os.walk(path):
        total += sum(os.path.getsize(os.path.join(dirpath, f)) for f in files)
    return total
