// The official JavaScript SDK (@io-orkes/conductor-javascript), unmodified, against the fake server.
//
// Usage: node official_js_sdk_client.js SERVER_API_URL
// Run by test_official_js_sdk.py with NODE_PATH pointing at the SDK's cached install. It uses
// only the SDK's public clients: registers definitions (MetadataClient), starts workflows
// (WorkflowExecutor), runs workers (TaskManager, with and without a domain), reads workflows back
// with their tasks, terminates one, and prints one JSON line of what it saw for the test to check.
"use strict";

const {
  orkesConductorClient,
  MetadataClient,
  WorkflowExecutor,
  TaskManager,
} = require("@io-orkes/conductor-javascript");

const TASK_GREET = "fs_js_greet";
const TASK_SHOUT = "fs_js_shout";
const TASK_NEVER = "fs_js_never_polled";
const WORKFLOW = "fs_js_hello";
const WAITING = "fs_js_waiting";
const DEADLINE_MS = 30000;

const taskDef = (name) => ({
  name,
  retryCount: 0,
  timeoutSeconds: 60,
  responseTimeoutSeconds: 30,
  ownerEmail: "js@example.com",
});

const helloWorkflow = {
  name: WORKFLOW,
  version: 1,
  ownerEmail: "js@example.com",
  tasks: [
    {
      name: TASK_GREET,
      taskReferenceName: "greet",
      type: "SIMPLE",
      inputParameters: { name: "${workflow.input.name}" },
    },
    {
      name: TASK_SHOUT,
      taskReferenceName: "shout",
      type: "SIMPLE",
      inputParameters: { text: "${greet.output.greeting}" },
    },
  ],
  outputParameters: { shout: "${shout.output.shout}", by: "${greet.output.by}" },
  timeoutSeconds: 0,
};

// A workflow whose only task has no worker: it stays RUNNING until terminated.
const waitingWorkflow = {
  name: WAITING,
  version: 1,
  ownerEmail: "js@example.com",
  tasks: [{ name: TASK_NEVER, taskReferenceName: "never", type: "SIMPLE", inputParameters: {} }],
  timeoutSeconds: 0,
};

const greeter = (by) => ({
  taskDefName: TASK_GREET,
  pollInterval: 20,
  execute: async (task) => ({
    status: "COMPLETED",
    outputData: { greeting: `Hello ${task.inputData.name}`, by },
  }),
});

const shouter = {
  taskDefName: TASK_SHOUT,
  pollInterval: 20,
  execute: async (task) => ({
    status: "COMPLETED",
    outputData: { shout: String(task.inputData.text).toUpperCase() },
  }),
};

const quietLogger = { info() {}, debug() {}, warn: console.error, error: console.error };

async function waitUntilEnded(executor, workflowId) {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const workflow = await executor.getWorkflow(workflowId, true);
    if (workflow.status !== "RUNNING") return workflow;
    if (Date.now() > deadline) throw new Error(`workflow ${workflowId} still RUNNING`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const summary = (workflow) => ({
  workflowId: workflow.workflowId,
  status: workflow.status,
  output: workflow.output,
  reasonForIncompletion: workflow.reasonForIncompletion,
  tasks: (workflow.tasks || []).map((task) => ({
    referenceTaskName: task.referenceTaskName,
    status: task.status,
    domain: task.domain ?? null,
    workerId: task.workerId ?? null,
    outputData: task.outputData,
  })),
});

async function main(serverUrl) {
  const client = await orkesConductorClient({ serverUrl, logger: quietLogger });
  const metadata = new MetadataClient(client);
  const executor = new WorkflowExecutor(client);

  await metadata.registerTasks([taskDef(TASK_GREET), taskDef(TASK_SHOUT), taskDef(TASK_NEVER)]);
  await metadata.registerWorkflowDef(helloWorkflow, true);
  await metadata.registerWorkflowDef(waitingWorkflow, true);
  const registered = await metadata.getTask(TASK_GREET);

  // One TaskManager takes one worker per task type: the domain's greeter runs in a second one.
  const managers = [
    new TaskManager(client, [greeter("plain"), shouter], {
      logger: quietLogger,
      options: { workerID: "js-plain", pollInterval: 20, concurrency: 2 },
    }),
    new TaskManager(client, [greeter("blue")], {
      logger: quietLogger,
      options: { workerID: "js-blue", domain: "blue", pollInterval: 20 },
    }),
  ];
  managers.forEach((manager) => manager.startPolling());
  try {
    const plainIds = await Promise.all(
      ["ada", "bob"].map((name) =>
        executor.startWorkflow({ name: WORKFLOW, version: 1, input: { name } }),
      ),
    );
    const blueId = await executor.startWorkflow({
      name: WORKFLOW,
      version: 1,
      input: { name: "cy" },
      taskToDomain: { [TASK_GREET]: "blue" },
    });
    const waitingId = await executor.startWorkflow({ name: WAITING, version: 1, input: {} });

    const plain = await Promise.all(plainIds.map((id) => waitUntilEnded(executor, id)));
    const blue = await waitUntilEnded(executor, blueId);
    await executor.terminate(waitingId, "stopped by the JS SDK test");
    const terminated = await executor.getWorkflow(waitingId, true);
    const status = await executor.getWorkflowStatus(blueId, true, false);

    const report = {
      registeredTask: { name: registered.name, retryCount: registered.retryCount },
      plain: plain.map(summary),
      blue: summary(blue),
      terminated: summary(terminated),
      blueStatus: { status: status.status, output: status.output },
    };
    process.stdout.write(JSON.stringify(report) + "\n");
  } finally {
    await Promise.all(managers.map((manager) => manager.stopPolling()));
  }
}

main(process.argv[2]).then(
  () => process.exit(0),
  (error) => {
    console.error(error && error.stack ? error.stack : error);
    process.exit(1);
  },
);
