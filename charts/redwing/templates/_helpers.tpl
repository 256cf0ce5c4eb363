{{/*
The operator's namespace. Its code expects redwing-system (the webhook exempts the reconciler's ServiceAccount
there; the store CA and the stores' NetworkPolicies name it), so every namespaced object goes there whatever the
release namespace is; templates/namespace.yaml creates it when the release lives elsewhere.
*/}}
{{- define "redwing.namespace" -}}
redwing-system
{{- end -}}

{{- define "redwing.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* Helm's labels, added to every object after its app.kubernetes.io/name and component. */}}
{{- define "redwing.labels" -}}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{/* The namespaces whose Secrets the reconciler may use through RoleBindings; empty: a ClusterRoleBinding. */}}
{{- define "redwing.secretNamespaces" -}}
{{- if .Values.reconciler.secretNamespaces -}}
{{- join "," .Values.reconciler.secretNamespaces -}}
{{- else if eq .Values.scope.mode "namespaces" -}}
{{- join "," .Values.scope.namespaces -}}
{{- end -}}
{{- end -}}
