#!/bin/sh
# Runs one ECS task to completion inside the stack's private network and fails unless its container exits 0:
# how `pulumi up` runs the database bootstrap and the migration, and how anyone runs a one-off command the same way
# (docs/moving-in.md). Needs the AWS CLI v2 and credentials allowed ecs:RunTask, ecs:DescribeTasks, ecs:StopTask and
# iam:PassRole for the task's roles.
#
# Environment: CLUSTER, TASK_DEFINITION (family or ARN), CONTAINER, SUBNETS and SECURITY_GROUPS (comma-separated),
# optional COMMAND_JSON (a JSON list that replaces the container's command), TIMEOUT_SECONDS (default 1800),
# LOG_GROUP (printed with the log stream), LABEL (how messages name the task).
set -eu
: "${CLUSTER:?}" "${TASK_DEFINITION:?}" "${CONTAINER:?}" "${SUBNETS:?}" "${SECURITY_GROUPS:?}"
label="${LABEL:-$CONTAINER}"
timeout="${TIMEOUT_SECONDS:-1800}"
network="awsvpcConfiguration={subnets=[$SUBNETS],securityGroups=[$SECURITY_GROUPS],assignPublicIp=DISABLED}"
overrides='{}'
if [ -n "${COMMAND_JSON:-}" ]; then
    overrides="{\"containerOverrides\":[{\"name\":\"$CONTAINER\",\"command\":$COMMAND_JSON}]}"
fi

summary() {
    # The deploy workflow shows this in the job's summary.
    if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then printf '%s\n' "$1" >> "$GITHUB_STEP_SUMMARY"; fi
    printf '%s\n' "$1"
}

task=$(aws ecs run-task --cluster "$CLUSTER" --task-definition "$TASK_DEFINITION" --launch-type FARGATE \
    --platform-version LATEST --network-configuration "$network" --overrides "$overrides" \
    --started-by webstack-one-off --propagate-tags TASK_DEFINITION \
    --query 'tasks[0].taskArn' --output text)
if [ -z "$task" ] || [ "$task" = "None" ]; then
    summary "$label: ECS did not start the task (see the run-task failures above)"
    exit 1
fi
echo "$label: started $task"

waited=0
while :; do
    status=$(aws ecs describe-tasks --cluster "$CLUSTER" --tasks "$task" --query 'tasks[0].lastStatus' --output text)
    [ "$status" = "STOPPED" ] && break
    if [ "$waited" -ge "$timeout" ]; then
        aws ecs stop-task --cluster "$CLUSTER" --task "$task" --reason "webstack: over ${timeout}s" > /dev/null
        summary "$label: failed: still $status after ${timeout}s, stopped"
        exit 1
    fi
    sleep 6
    waited=$((waited + 6))
done

code=$(aws ecs describe-tasks --cluster "$CLUSTER" --tasks "$task" \
    --query "tasks[0].containers[?name=='$CONTAINER'].exitCode | [0]" --output text)
reason=$(aws ecs describe-tasks --cluster "$CLUSTER" --tasks "$task" --query 'tasks[0].stoppedReason' --output text)
stream="${CONTAINER}/${CONTAINER}/${task##*/}"
if [ "$code" = "0" ]; then
    summary "$label: succeeded (exit 0; logs: ${LOG_GROUP:-the task's log group} $stream)"
    exit 0
fi
summary "$label: failed (exit $code: $reason; logs: ${LOG_GROUP:-the task's log group} $stream)"
exit 1
