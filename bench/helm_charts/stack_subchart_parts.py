"""The subcharts of the kube-prometheus-stack-shaped chart: their helpers, pod
spec, generic templates and values."""

from __future__ import annotations

import random

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
