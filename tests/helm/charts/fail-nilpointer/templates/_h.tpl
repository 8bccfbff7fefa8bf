{{- define "deep" -}}
value: {{ .Values.missing.deeper }}
{{- end -}}
