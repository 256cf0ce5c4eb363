{{/*
One reconciler Deployment and its PDB. Arguments: root (the chart context), name, scope (a namespace to watch, or ""
for every namespace). A scoped Deployment's pods carry redwing.dev/scope, so that each selector is its own.
*/}}
{{- define "redwing.reconcilerObjects" -}}
{{- $root := .root }}
{{- $values := .root.Values.reconciler }}
{{- $namespace := include "redwing.namespace" .root }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .name }}
  namespace: {{ $namespace }}
  labels:
    app.kubernetes.io/name: redwing
    app.kubernetes.io/component: reconciler
    {{- include "redwing.labels" $root | nindent 4 }}
spec:
  replicas: {{ $values.replicas }}
  selector:
    matchLabels:
      app.kubernetes.io/name: redwing
      app.kubernetes.io/component: reconciler
      {{- if .scope }}
      redwing.dev/scope: {{ .scope }}
      {{- end }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 1
  template:
    metadata:
      labels:
        app.kubernetes.io/name: redwing
        app.kubernetes.io/component: reconciler
        {{- if .scope }}
        redwing.dev/scope: {{ .scope }}
        {{- end }}
        {{- with $values.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with $values.podAnnotations }}
      annotations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    spec:
      serviceAccountName: redwing-reconciler
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        runAsNonRoot: true
        runAsUser: 65532
        runAsGroup: 65532
        seccompProfile:
          type: RuntimeDefault
      {{- with $values.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      {{- with $values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.topologySpreadConstraints }}
      topologySpreadConstraints:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      affinity:
        {{- if $values.affinity }}
        {{- toYaml $values.affinity | nindent 8 }}
        {{- else }}
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
            - weight: 100
              podAffinityTerm:
                topologyKey: kubernetes.io/hostname
                labelSelector:
                  matchLabels:
                    app.kubernetes.io/name: redwing
                    app.kubernetes.io/component: reconciler
                    {{- if .scope }}
                    redwing.dev/scope: {{ .scope }}
                    {{- end }}
        {{- end }}
      terminationGracePeriodSeconds: {{ $values.terminationGracePeriodSeconds }}
      containers:
        - name: reconciler
          image: {{ include "redwing.image" $root }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          # V8 flags for a 100 MB RSS budget (why and figures: cli/reconciler-node-flags.ts).
          command: [node, --lite-mode, --max-semi-space-size=1, --optimize-for-size, --no-expose-wasm, bin/redwing.js]
          args: [reconciler]
          env:
            - name: REDWING_RUN_FROM
              value: dist
            - name: REDWING_LEADER_ELECT
              value: {{ $values.leaderElection | quote }}
            - name: REDWING_METRICS_PORT
              value: "8081"
            {{- if .scope }}
            - name: REDWING_NAMESPACE
              value: {{ .scope }}
            {{- end }}
            - name: POD_NAME
              valueFrom:
                fieldRef:
                  fieldPath: metadata.name
            - name: POD_NAMESPACE
              valueFrom:
                fieldRef:
                  fieldPath: metadata.namespace
          ports:
            - name: metrics
              containerPort: 8081
              protocol: TCP
          readinessProbe:
            {{- toYaml $values.readinessProbe | nindent 12 }}
          livenessProbe:
            {{- toYaml $values.livenessProbe | nindent 12 }}
          resources:
            {{- toYaml $values.resources | nindent 12 }}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: [ALL]
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 64Mi
{{- if $values.podDisruptionBudget.enabled }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ .name }}
  namespace: {{ $namespace }}
  labels:
    app.kubernetes.io/name: redwing
    app.kubernetes.io/component: reconciler
    {{- include "redwing.labels" $root | nindent 4 }}
spec:
  maxUnavailable: {{ $values.podDisruptionBudget.maxUnavailable }}
  selector:
    matchLabels:
      app.kubernetes.io/name: redwing
      app.kubernetes.io/component: reconciler
      {{- if .scope }}
      redwing.dev/scope: {{ .scope }}
      {{- end }}
{{- end }}
{{- end -}}
