// callback.js: the redirect page of the pages' own client
// (<base>/.web/callback): finishes the sign-in naamio.js started and goes
// back to the page that asked.
import { finishLogin } from './naamio.js';

const status = document.getElementById('status');
finishLogin().then((back) => {
  location.replace(back);
}).catch((e) => {
  if (status) {
    status.textContent = e.message;
    status.className = 'error';
  }
});
