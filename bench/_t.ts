import { initBackend, describeBackend } from '../lib/backend';
initBackend().then((i) => { console.log(describeBackend(i)); });
