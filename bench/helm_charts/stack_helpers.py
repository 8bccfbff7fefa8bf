"""The kube-prometheus-stack-shaped chart: its _helpers.tpl, PrometheusRule
files and Grafana dashboards."""

from __future__ import annotations

import json
import random

from .common import COMPONENTS, _camel, _words

# ---------------------------------------------------------------- _helpers.tpl


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
