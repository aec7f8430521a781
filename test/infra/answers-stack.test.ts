/* eslint-disable @typescript-eslint/no-explicit-any -- AWS requests are plain JSON here */
/**
 * The patients' answer page on AWS (mocked): its function, public function URL, resource policy, own role,
 * reserved concurrency and log group — the exact calls in order, the role's policy statement by statement,
 * the drift deploy puts back, the URL in the reminders' environment and in status, and destroy.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { computeOutputs } from '../../src/infra/outputs.js';
import { pending } from '../../src/infra/plan.js';
import { planDeploy, planDestroy } from '../../src/infra/stack.js';
import { fakeAws, type FakeAws } from './fake-aws.js';
import { apply, openTestInfra, testConfig } from './helpers.js';

let fake: FakeAws;
beforeEach(() => {
  fake = fakeAws();
});
afterEach(() => fake.restore());

const FN = 'sorriso-prod-answers';
const data = 'sorriso-prod-data';
const FN_ARN = `arn:aws:lambda:sa-east-1:123456789012:function:${FN}`;
/** the function URL the fake account makes for it */
const urlOf = () => fake.state.functions.get(FN)!.urls!.get('')!.FunctionUrl as string;
const answersCalls = () =>
  fake.mutating().filter((c) => c.input.FunctionName === FN || c.input.RoleName === FN || c.input.logGroupName === `/aws/lambda/${FN}` || c.input.Resource === FN_ARN);

describe("the answer page's function (mocked AWS)", () => {
  it('is made with its role, log group, capped concurrency and a public URL, in this order, with these parameters', async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    expect(answersCalls().map((c) => `${c.service} ${c.command}`)).toEqual([
      'IAM CreateRole',
      'IAM PutRolePolicy',
      'Logs CreateLogGroup',
      'Logs PutRetentionPolicy',
      'Lambda CreateFunction',
      'Lambda PutFunctionConcurrency',
      'Lambda CreateFunctionUrlConfig',
      'Lambda AddPermission',
      'Lambda AddPermission',
    ]);
    const [role, , group, retention, create, concurrency, url, invokeUrl, invoke] = answersCalls().map((c) => c.input);
    expect(JSON.parse(role!.AssumeRolePolicyDocument).Statement).toEqual([{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }]);
    expect(role!.Tags).toEqual([
      { Key: 'clinica:clinic', Value: 'sorriso' },
      { Key: 'clinica:stage', Value: 'prod' },
      { Key: 'clinica:component', Value: 'answers' },
    ]);
    expect(group).toEqual({ logGroupName: `/aws/lambda/${FN}`, tags: { 'clinica:clinic': 'sorriso', 'clinica:stage': 'prod', 'clinica:component': 'answers' } });
    expect(retention).toEqual({ logGroupName: `/aws/lambda/${FN}`, retentionInDays: 90 });
    expect(create).toMatchObject({
      FunctionName: FN,
      Role: `arn:aws:iam::123456789012:role/${FN}`,
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 256,
      Timeout: 10,
      PackageType: 'Zip',
    });
    // the answer page itself needs no link to itself: no CLINICA_ANSWERS_URL
    expect(Object.keys(create!.Environment.Variables).sort()).toEqual(['CLINICA_CONFIG_JSON', 'CLINICA_DATA_BUCKET', 'CLINICA_SITE_BUCKET', 'CLINICA_STAGE', 'NODE_OPTIONS']);
    expect(concurrency).toEqual({ FunctionName: FN, ReservedConcurrentExecutions: 5 });
    expect(url).toEqual({ FunctionName: FN, AuthType: 'NONE', InvokeMode: 'BUFFERED' });
    expect(invokeUrl).toEqual({ FunctionName: FN, StatementId: 'clinica-public-url', Action: 'lambda:InvokeFunctionUrl', Principal: '*', FunctionUrlAuthType: 'NONE' });
    expect(invoke).toEqual({ FunctionName: FN, StatementId: 'clinica-public-url-invoke', Action: 'lambda:InvokeFunction', Principal: '*', InvokedViaFunctionUrl: true });

    // the reminders, made after the URL, link to it
    const reminders = fake.named('CreateFunction').find((c) => c.input.FunctionName === 'sorriso-prod-reminders')!.input;
    expect(reminders.Environment.Variables.CLINICA_ANSWERS_URL).toBe(urlOf());
    expect(urlOf()).toMatch(/^https:\/\/[0-9a-f]{32}\.lambda-url\.sa-east-1\.on\.aws\/$/);

    // a second deploy changes nothing; status shows the URL in the plan and the outputs
    fake.clear();
    const ctx = await openTestInfra(fake, config);
    const again = await planDeploy(ctx);
    expect(pending(again)).toEqual([]);
    expect(again.steps.find((s) => s.id === 'answers-url')).toMatchObject({ kind: 'Lambda function URL', name: FN, action: 'no-change', why: `public (auth NONE, no CORS): ${urlOf()}` });
    expect(computeOutputs(ctx, again.observed.ses)).toMatchObject({ answerPage: urlOf(), functions: { answers: FN } });
  });

  it("its role may do what confirm and cancel do, and nothing else", async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    const doc = JSON.parse(fake.named('PutRolePolicy').find((c) => c.input.RoleName === FN)!.input.PolicyDocument);
    const objects = (...prefixes: string[]) => prefixes.map((p) => `arn:aws:s3:::${data}/${p}*`);
    const createOnly = { Null: { 's3:if-none-match': 'false' } };
    const key = `arn:aws:s3:::${data}/keys/answer-link.json`;
    expect(doc.Version).toBe('2012-10-17');
    const statements = doc.Statement as any[];
    expect(statements.map((s) => s.Sid)).toEqual(['ListDataBucket', 'ReadAnswerData', 'UpdateAppointment', 'RecordAnswerOnce', 'ReadAnswerLinkKey', 'MakeAnswerLinkKeyOnce', 'OwnLogGroup']);
    // a GET of a missing answer must be a 404, not a 403 (see src/infra/iam.ts)
    expect(statements[0]).toEqual({ Sid: 'ListDataBucket', Effect: 'Allow', Action: 's3:ListBucket', Resource: `arn:aws:s3:::${data}` });
    // the appointment, the patient (first name, language), an earlier answer, and the records a status change keeps in step
    // (test/answers/answer-role.test.ts runs the handler and checks every call it makes against this policy)
    expect(statements[1]).toEqual({
      Sid: 'ReadAnswerData',
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: objects('appointments/', 'index/appointments-by-patient/', 'index/patients/', 'locks/agenda/', 'patients/', 'answers/'),
    });
    expect(statements[2]).toEqual({ Sid: 'UpdateAppointment', Effect: 'Allow', Action: 's3:PutObject', Resource: objects('appointments/', 'index/appointments-by-patient/', 'index/patients/', 'locks/agenda/', 'index/patient-changes/') });
    // the answer and the audit entry only as new objects: a second click or a forged call cannot overwrite them
    expect(statements[3]).toEqual({ Sid: 'RecordAnswerOnce', Effect: 'Allow', Action: 's3:PutObject', Resource: objects('answers/', 'audit/'), Condition: createOnly });
    expect(statements[4]).toEqual({ Sid: 'ReadAnswerLinkKey', Effect: 'Allow', Action: 's3:GetObject', Resource: key });
    expect(statements[5]).toEqual({ Sid: 'MakeAnswerLinkKeyOnce', Effect: 'Allow', Action: 's3:PutObject', Resource: key, Condition: createOnly });
    expect(statements[6]).toEqual({
      Sid: 'OwnLogGroup',
      Effect: 'Allow',
      Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: [`arn:aws:logs:sa-east-1:123456789012:log-group:/aws/lambda/${FN}`, `arn:aws:logs:sa-east-1:123456789012:log-group:/aws/lambda/${FN}:*`],
    });
    // no delete, no SES, no Lambda, no other prefix (staff, sessions, images, settings, tokens)
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect([...new Set(actions)].sort()).toEqual(['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 's3:GetObject', 's3:ListBucket', 's3:PutObject']);
  });

  it('answers.reservedConcurrency sets the cap', async () => {
    const config = await testConfig({ answers: { reservedConcurrency: 2 } });
    await apply(await planDeploy(await openTestInfra(fake, config)));
    expect(fake.named('PutFunctionConcurrency').find((c) => c.input.FunctionName === FN)!.input).toEqual({ FunctionName: FN, ReservedConcurrentExecutions: 2 });
  });

  it('drift: auth type, CORS, a public statement added by hand, a condition removed — deploy puts back exactly clinica\'s', async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    const fn = fake.state.functions.get(FN)!;
    fn.urls!.get('')!.AuthType = 'AWS_IAM';
    fn.urls!.get('')!.Cors = { AllowOrigins: ['*'], AllowMethods: ['*'] };
    // anyone may invoke it directly, with any event: no condition
    fn.policy.push({ Sid: 'open-to-all', Effect: 'Allow', Principal: '*', Action: 'lambda:InvokeFunction', Resource: FN_ARN });
    // clinica's URL statement without its FunctionUrlAuthType condition
    delete fn.policy.find((s) => s.Sid === 'clinica-public-url').Condition;
    fake.clear();
    const plan = await planDeploy(await openTestInfra(fake, config));
    expect(pending(plan).map((s) => [s.id, s.action, s.drift, s.why])).toEqual([
      // a statement the spec does not declare is removed by the function's own step, as for every function
      ['lambda:answers', 'update', true, 'remove statement open-to-all (principal *) from the resource policy (added by hand)'],
      ['answers-url', 'update', true, 'auth AWS_IAM → NONE, CORS → none; public lambda:InvokeFunctionUrl permission differs'],
    ]);
    await apply(plan);
    expect(fake.mutating().map((c) => [c.command, c.input])).toEqual([
      ['RemovePermission', { FunctionName: FN, StatementId: 'open-to-all' }],
      ['UpdateFunctionUrlConfig', { FunctionName: FN, AuthType: 'NONE', Cors: {}, InvokeMode: 'BUFFERED' }],
      ['RemovePermission', { FunctionName: FN, StatementId: 'clinica-public-url' }],
      ['AddPermission', { FunctionName: FN, StatementId: 'clinica-public-url', Action: 'lambda:InvokeFunctionUrl', Principal: '*', FunctionUrlAuthType: 'NONE' }],
    ]);
    fake.clear();
    expect(pending(await planDeploy(await openTestInfra(fake, config)))).toEqual([]);
  });

  it('a function URL deleted by hand is made again, and the reminders follow its new address', async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    fake.state.functions.get(FN)!.urls!.delete('');
    fake.state.functions.get(FN)!.policy = [];
    // the address a new URL gets is another one: the fake makes it from the name, so mark the old one
    fake.state.functions.get('sorriso-prod-reminders')!.config.Environment.Variables.CLINICA_ANSWERS_URL = 'https://old.lambda-url.sa-east-1.on.aws/';
    fake.clear();
    const plan = await planDeploy(await openTestInfra(fake, config));
    expect(pending(plan).map((s) => [s.id, s.why])).toEqual([
      ['answers-url', expect.stringMatching(/^does not exist: create, public \(auth NONE; the signed link is the key\)/)],
      ['lambda:reminders', 'environment (CLINICA_ANSWERS_URL)'],
    ]);
    await apply(plan);
    expect(fake.mutating().map((c) => c.command)).toEqual(['CreateFunctionUrlConfig', 'AddPermission', 'AddPermission', 'UpdateFunctionConfiguration']);
    expect(fake.named('UpdateFunctionConfiguration')[0]!.input.Environment.Variables.CLINICA_ANSWERS_URL).toBe(urlOf());
  });

  it('destroy deletes the function (its URL and permissions go with it) and its role; its log group stays with the patient data', async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    fake.clear();
    const plan = await planDestroy(await openTestInfra(fake, config));
    expect(plan.steps.filter((s) => s.component === 'answers').map((s) => [s.id, s.action])).toEqual([
      ['lambda:answers', 'delete'],
      ['log-group:answers', 'no-change'],
      ['role:answers', 'delete'],
    ]);
    await apply(plan);
    expect(answersCalls().map((c) => c.command)).toEqual(['DeleteFunction', 'DeleteRolePolicy', 'DeleteRole']);
    expect(fake.state.functions.has(FN)).toBe(false);
    expect(fake.state.roles.has(FN)).toBe(false);
    expect(fake.state.logGroups.has(`/aws/lambda/${FN}`)).toBe(true);
  });
});
