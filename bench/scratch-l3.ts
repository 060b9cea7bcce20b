import { createDatabase, descendantNodes, projectScope, rowsOf } from "@graft/db";
import { createTestDatabaseTarget } from "@graft/db/testing";
import { sql } from "drizzle-orm";

const PROJECT = "00000000-0000-4000-8000-000000000001";
const target = await createTestDatabaseTarget("postgres");
const { db, close } = await createDatabase({ url: target.databaseUrl });
try {
  const modelId = (n: any) => sql`md5('bench-model-' || (${n}))::uuid`;
  await db.execute(sql`insert into projects (id, name) values (${PROJECT}::uuid, 'bench')`);
  const cols = sql`id, project_id, name, kind, parent_id, architecture, task, input_shape, labels, preprocessing, layers, param_count, size_bytes, artifact_key`;
  const vals = (n: any, proj: any, kind: any, parent: any) =>
    sql`${modelId(n)}, ${proj}, 'm' || (${n}), ${kind}::model_kind, ${parent}, 'digits-cnn', 'image-classification', '[28,28,1]', '["0","1"]', '{"inputRange":[0,1],"channels":1}', '[]', 10, 40, 'models/' || (${n})`;
  await db.execute(
    sql`insert into models (${cols}) select ${vals(sql`0`, sql`null::uuid`, sql`'BASE'`, sql`null::uuid`)}`,
  );
  for (let lo = 1, w = 4; lo < 10000; lo += w, w *= 4) {
    const hi = Math.min(lo + w - 1, 9999);
    await db.execute(
      sql`insert into models (${cols}) select ${vals(sql`i`, sql`${PROJECT}::uuid`, sql`'FINE_TUNED'`, modelId(sql`(i - 1) / 4`))} from generate_series(${lo}::int, ${hi}::int) as i`,
    );
  }
  await db.execute(sql`analyze`);
  const scope = projectScope(PROJECT);
  const [ids] = rowsOf<{ root: string }>(await db.execute(sql`select ${modelId(sql`0`)}::text as root`));
  const backendPid = async () => rowsOf<{ pid: number }>(await db.execute(sql`select pg_backend_pid() as pid`))[0]!.pid;
  void backendPid;
  const time = async (label: string, f: () => Promise<unknown>) => {
    for (let i = 0; i < 3; i++) await f();
    const s: number[] = [];
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < 40; i++) {
      const t = performance.now();
      await f();
      s.push(performance.now() - t);
    }
    const cpu = process.cpuUsage(cpu0);
    s.sort((a, b) => a - b);
    console.log(
      label.padEnd(30),
      "p50",
      s[20]!.toFixed(1),
      "p95",
      s[38]!.toFixed(1),
      "client CPU/call",
      ((cpu.user + cpu.system) / 40 / 1000).toFixed(1),
    );
  };
  for (let r = 0; r < 3; r++) {
    await time("root shape", () => descendantNodes(db, scope, ids!.root));
  }
} finally {
  await close();
  await target.cleanup();
}
