"""The kube-prometheus-stack-shaped chart: the templates of its components,
exporters, operator and Grafana wiring."""

from __future__ import annotations

from .common import _camel

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
