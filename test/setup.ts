// No test may reach real AWS or read the developer's credentials: point the SDK at nothing real.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.AWS_CONFIG_FILE = '/dev/null';
process.env.AWS_SHARED_CREDENTIALS_FILE = '/dev/null';
delete process.env.AWS_PROFILE;
delete process.env.CLINICA_STAGE;
delete process.env.CLINICA_CONFIG;
delete process.env.CLINICA_TARGET;
